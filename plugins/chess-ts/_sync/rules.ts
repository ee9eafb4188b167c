// The game rules both chess-ts handlers share: which rooms are games, and where an invitation is
// kept. Not a handler itself (no `_v<n>` in its name); each handler's build bundles it.

/** The players of a game room, `chess:<white>:<black>` with both ids non-empty; undefined otherwise. */
export function players(room: string): { white: string; black: string } | undefined {
  if (!room.startsWith("chess:")) return undefined;
  const [white, black, ...rest] = room.slice("chess:".length).split(":");
  if (!white || !black || rest.length > 0) return undefined;
  return { white, black };
}

/** The kv key that records `user`'s invitation to `room`. */
export function invitationKey(room: string, user: string): string {
  return `invited/${room}/${user}`;
}
