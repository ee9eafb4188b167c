# Failures of a sandboxed handler (codes `plugin.*`).
# Message ids are error codes with dots replaced by dashes: `plugin.outOfFuel` → `plugin-outOfFuel`.

plugin-outOfFuel = The handler used up its computing budget and was stopped.
plugin-timeout = The handler took too long and was stopped.
plugin-memoryLimit = The handler needed more memory than it is allowed.
plugin-stackOverflow = The handler ran out of stack space, probably through too deep recursion.
plugin-trap = The handler crashed.
plugin-malformedOutput = The handler returned something the server could not read.
plugin-outputTooLarge = The handler's answer is too large.
plugin-outputTooDeep = The handler's answer is nested too deeply.
plugin-fanOutTooLarge = This update was too large to deliver to everyone in the room, and was not delivered to you.
plugin-inputTooLarge = The input is too large for the handler.
plugin-stageMissing = This sync has no handler for this step.
plugin-unavailable = The handler is temporarily unavailable. Please try again shortly.
# $reason: what went wrong in the server function the handler called.
plugin-hostCallFailed = A server function called by the handler failed: { $reason }
plugin-asyncNotSettled = The handler's asynchronous work never finished.
