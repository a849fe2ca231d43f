// Which rooms there are and which the user follows: the server's list (GET /api/rooms, with
// topics, privacy and unread counts) merged with the rooms this browser joined. Private rooms
// the user is a member of join by themselves; rooms the server refused are left out.
import { fetchRooms } from "./api.js";
import { forgetRoom, joinedRooms, knownPrivate, markPrivate, rememberRoom } from "./rooms.js";

const MIN_GAP_MS = 5000; // refreshes asked for in a burst (stream back, tab shown) make one request
const EVERY_MS = 60_000;

export function createDirectory({ unread, onChange }) {
  let listing = new Map(); // name -> { name, topic, private, last_activity, message_count, online, unread?, moderator? }
  let loaded = false;
  let lastFetch = 0;
  let inflight = null;
  let again = false;
  const denied = new Set();
  const activity = new Map(); // name -> epoch ms of its last message seen live

  async function load() {
    const data = await fetchRooms();
    listing = new Map(data.rooms.map((r) => [r.name, r]));
    loaded = true;
    for (const r of data.rooms) {
      markPrivate(r.name, r.private);
      if (r.private) rememberRoom(r.name, { last: false }); // listed: we are a member
    }
    unread.fromListing(data.rooms);
    onChange();
  }

  // `force`: the answer must be newer than now (a request already on its way may be too old).
  function refresh({ force = false } = {}) {
    if (inflight) {
      if (force) again = true;
      return inflight;
    }
    if (!force && Date.now() - lastFetch < MIN_GAP_MS) return Promise.resolve();
    lastFetch = Date.now();
    inflight = load()
      .catch(() => {})
      .finally(() => {
        inflight = null;
        if (again) {
          again = false;
          refresh({ force: true });
        }
      });
    return inflight;
  }

  setInterval(() => {
    if (document.visibilityState === "visible") refresh();
  }, EVERY_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refresh();
  });

  return {
    refresh,
    listing: () => listing,
    // The joined rooms the user may read: a private room missing from the list is no longer ours.
    followed() {
      const priv = knownPrivate();
      return joinedRooms().filter((r) => !denied.has(r) && !(loaded && priv.has(r) && !listing.has(r)));
    },
    isPrivate: (r) => Boolean(listing.get(r)?.private) || knownPrivate().has(r),
    // When the room last had a message (or was created): the list's order.
    activity: (r) => Math.max(activity.get(r) || 0, listing.get(r)?.last_activity || 0),
    // A message arrived live in `r` (its unread count repaints the list).
    touch(r, ts) {
      if (ts > (activity.get(r) || 0)) activity.set(r, ts);
    },
    topic: (r) => listing.get(r)?.topic || "",
    // The user may delete others' messages in `r` (its creator, or an admin), as the server said.
    moderates: (r) => Boolean(listing.get(r)?.moderator),
    // The server refused the room: private, and we are not a member.
    deny(r) {
      denied.add(r);
      forgetRoom(r);
      onChange();
    },
    isDenied: (r) => denied.has(r),
    // The user was added to `r`: refused before, readable now.
    allow(r) {
      denied.delete(r);
    },
    // A room just created (POST /api/rooms answered it): its creator moderates it.
    add(room) {
      listing.set(room.name, { message_count: 0, online: 0, last_activity: room.created, moderator: true, ...room });
      markPrivate(room.name, Boolean(room.private));
      denied.delete(room.name);
      onChange();
    },
    // Someone else now: what they may read differs.
    reset() {
      denied.clear();
      listing = new Map();
      loaded = false;
      return refresh({ force: true });
    },
  };
}
