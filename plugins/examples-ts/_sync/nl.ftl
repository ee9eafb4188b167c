examples-amountOutOfRange = De teller kan niet verder dan { $amount }.
examples-emptyMessage = Een bericht mag niet leeg zijn.
examples-messageTooLong = Het bericht is { $length } tekens lang; het maximum is { $max }.
