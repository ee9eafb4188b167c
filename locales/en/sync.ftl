# Problems with a sync request itself (codes `sync.*`).

# $field: the request field that is missing or wrong.
sync-invalidRequest = The sync request has a missing or invalid field: { $field }.
sync-invalidName = "{ $name }" is not a valid sync name.
sync-missingReceiver = The sync request does not say who should receive it.
sync-notFound = There is no sync named "{ $name }".
sync-routeUnavailable = "{ $name }" is temporarily unavailable: part of its handler is missing on the server.
sync-receiverNotAllowed = This sync may not be sent to that receiver.
sync-notRoomMember = You are not a member of the room "{ $room }".
sync-rateLimitExceeded =
    { $seconds ->
        [one] Too many requests. Please try again in { $seconds } second.
       *[other] Too many requests. Please try again in { $seconds } seconds.
    }
sync-tooManyInFlight =
    { $max ->
        [one] Wait for your previous sync to finish before sending another.
       *[other] You already have { $max } syncs in progress. Wait for one to finish before sending another.
    }
sync-inputTooDeep =
    { $maxDepth ->
        [one] The input is nested too deeply: at most { $maxDepth } level is allowed.
       *[other] The input is nested too deeply: at most { $maxDepth } levels are allowed.
    }
# $message: what the validator found wrong.
sync-invalidInputType = The input is not valid: { $message }
sync-invalidServerResponse = The server handler returned an invalid response.
sync-invalidClientResponse = The client handler returned an invalid response.
sync-serverExecutionFailed = The server handler failed.
sync-clientExecutionFailed = The client handler failed.
sync-payloadTooLarge = The request is too large: at most { $limitKb } KB is allowed.
sync-unsupportedMediaType = The request body has a content type the server does not accept.
sync-methodNotAllowed = This HTTP method is not allowed here.
sync-serverBusy = The server is handling as many requests as it can ({ $max }). Try again shortly.
sync-shuttingDown = The server is shutting down and accepts no new requests. Reconnect to continue.
sync-bodyTimeout =
    { $seconds ->
        [one] The request body did not arrive within { $seconds } second.
       *[other] The request body did not arrive within { $seconds } seconds.
    }
sync-invalidBody = The request body could not be read.

sync-stateUnavailable = Shared state is unavailable right now. Try again shortly.
