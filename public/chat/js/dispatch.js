// Where each live event goes: messages and their changes to the conversation and the counts,
// signals (typing, presence, read) to their views, access changes to the room list.
import { isMe, mentionsMe } from "./identity.js";

// current() -> the viewed room; the rest are the app's modules.
export function createDispatch({ current, directory, unread, notifier, typing, people, receipts, loader, conversation }) {
  return function onEvent({ room: r, kind, data }) {
    if (kind === "message") {
      directory.touch(r, data.ts);
      unread.message(r, data.n, isMe(data));
      if (!isMe(data) && mentionsMe(data)) {
        unread.mention(r, data.n);
        notifier.mention(r, data);
      }
      typing.stopped(r, data.user);
      conversation.receive(r, [data], { live: true });
    } else if (kind === "edit" || kind === "delete" || kind === "reaction") {
      conversation.change(r, kind, data);
    } else if (kind === "typing") typing.typing(r, data);
    else if (kind === "presence") people.presence(r, data);
    else if (kind === "read") {
      if (isMe(data)) unread.read(r, data.n);
      if (receipts.update(r, [data]) && r === current()) conversation.render();
    } else if (kind === "membership") {
      if (data.member !== false) directory.allow(data.room || r); // added again after leaving
      directory.refresh({ force: true }); // added to a private room: it shows up at once
    } else if (kind === "access") {
      if (data.readable === false) directory.deny(r);
      directory.refresh({ force: true });
    } else if (kind === "reset") {
      if (loader.get(r)) loader.reset(r);
      directory.refresh();
    }
  };
}
