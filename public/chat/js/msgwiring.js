// The conversation features around sent messages, wired together: replies and edits through the
// message box (ArrowUp in an empty box edits the user's last message, Escape cancels), reactions
// with the picker, deleting after a confirmation, and jumping to a quoted message.
import { deleteMessage, editMessage, setReaction } from "./api.js";
import { createConfirm } from "./confirm.js";
import { authorized, isMe } from "./identity.js";
import { createJump } from "./jump.js";
import { createMessageActions } from "./msgactions.js";
import { createPicker } from "./picker.js";
import { createReplyEdit } from "./replyedit.js";

// els: {view, replyEdit, confirm}; room() -> the viewed room; loader: history.js; composer,
// conversation: their modules.
export function createMessageFeatures(els, { room, loader, composer, conversation }) {
  const timeline = () => loader.timelineFor(room());
  const jumpTo = createJump(els.view, { timeline, loadOlder: () => loader.loadOlder() });
  const ask = createConfirm(els.confirm);
  const context = createReplyEdit(els.replyEdit, {
    onCancel(was) {
      if (was && was.kind === "edit") composer.replace("");
      composer.focus();
    },
  });

  function startEdit(m) {
    context.edit(m);
    composer.replace(m.text);
  }

  createMessageActions(els.view, {
    message: (id) => timeline().find(id),
    picker: createPicker(),
    async react(id, emoji, on) {
      const r = room();
      try {
        conversation.update(r, await authorized((auth) => setReaction(r, id, emoji, on, auth)));
      } catch (err) {
        composer.showError(`Reaction not saved: ${err.message}`);
      }
    },
    reply(m) {
      context.reply(m);
      composer.focus();
    },
    edit: startEdit,
    remove(m) {
      const r = room();
      const question = isMe(m)
        ? { heading: "Delete this message?", body: m.text, confirm: "Delete" }
        : {
            heading: `Delete ${m.user}'s message?`,
            body:
              `You are deleting someone else's message as a moderator of #${r}; everyone will see it as deleted.` +
              (m.text ? ` It said: ${m.text}` : ""),
            confirm: "Delete",
          };
      ask(question, async () => {
        await authorized((auth) => deleteMessage(r, m.id, auth));
        conversation.change(r, "delete", { message: m.id });
        composer.focus();
      });
    },
    jumpTo,
  });

  return {
    jumpTo,
    // The box's text on Enter: an edit, or a message (a reply when one is being written).
    // Returns null, or why it can't be taken.
    submit(text) {
      const now = context.get();
      if (!now || now.kind !== "edit") {
        const problem = conversation.send(text, now ? { replyTo: now.message } : {});
        if (!problem) context.clear();
        return problem;
      }
      const r = room();
      const id = now.message.id;
      if (text.trim() === now.message.text) {
        context.clear();
        return null;
      }
      context.clear();
      authorized((auth) => editMessage(r, id, text.trim(), auth)).then(
        (m) => conversation.update(r, m),
        (err) => {
          startEdit({ ...now.message, text });
          composer.showError(`Not edited: ${err.message}`);
        },
      );
      return null;
    },
    // Keys in the message box: ArrowUp when empty edits the user's last message; Escape cancels.
    key(e, text) {
      if (e.key === "Escape" && context.get()) {
        const was = context.get();
        context.clear();
        if (was.kind === "edit") composer.replace("");
        return true;
      }
      if (e.key !== "ArrowUp" || text !== "" || e.shiftKey || e.altKey || e.ctrlKey || e.metaKey) return false;
      const mine = timeline().messages.findLast((m) => !m.deleted && isMe(m));
      if (!mine) return false;
      startEdit(mine);
      return true;
    },
    // Another room: what was being answered or edited stays behind.
    leaveRoom() {
      context.clear();
    },
  };
}
