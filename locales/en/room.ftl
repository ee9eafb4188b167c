# Joining rooms (codes `room.*`).

room-invalidName =
    { $maxLength ->
        [one] That room name is not valid: use at most { $maxLength } character.
       *[other] That room name is not valid: use 1 to { $maxLength } characters.
    }
room-limitReached =
    { $max ->
        [one] You cannot join more than { $max } room.
       *[other] You cannot join more than { $max } rooms.
    }
