# Messages of the TypeScript example handlers (the same codes as the Rust ones in examples/).

# updateCounter: $amount cannot be increased without overflowing.
examples-amountOutOfRange = The counter cannot go past { $amount }.
examples-emptyMessage = A message cannot be empty.
examples-messageTooLong = The message is { $length } characters long; the maximum is { $max }.
