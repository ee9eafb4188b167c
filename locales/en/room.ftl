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
# $room: the room; $key: the session field its policy checks.
room-forbidden = You may not be in the room "{ $room }".
room-joinRateExceeded =
    { $seconds ->
        [one] You are joining rooms too quickly. Try again in { $seconds } second.
       *[other] You are joining rooms too quickly. Try again in { $seconds } seconds.
    }
# Sent with the `roomRemoved` event when a config change means the member may no longer be in $room.
room-removed = You were removed from the room "{ $room }": its access rules no longer let you in.
# Sent with the `roomRemoved` event when another connection of the same user left $room.
room-leftElsewhere = You left the room "{ $room }" on another connection.
room-tokenRequired = The room "{ $room }" needs an invitation (a room token).
room-tokenRefused = That room token does not let you into "{ $room }".
# The room's policy names a join handler that is not loaded (deleted, or failing to load).
room-joinUnavailable = Joining "{ $room }" is not possible right now. Try again later.
# A join handler written in TypeScript threw an unexpected error or gave an invalid answer.
room-joinHandlerFailed = Joining "{ $room }" failed: the check that decides it has an error.
