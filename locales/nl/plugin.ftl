# Fouten van een handler in de sandbox (codes `plugin.*`).

plugin-outOfFuel = De handler heeft zijn rekenbudget opgebruikt en is gestopt.
plugin-timeout = De handler deed er te lang over en is gestopt.
plugin-memoryLimit = De handler had meer geheugen nodig dan is toegestaan.
plugin-stackOverflow = De handler had te weinig stackruimte, waarschijnlijk door te diepe recursie.
plugin-trap = De handler is vastgelopen.
plugin-malformedOutput = De handler gaf iets terug dat de server niet kon lezen.
plugin-outputTooLarge = Het antwoord van de handler is te groot.
plugin-outputTooDeep = Het antwoord van de handler is te diep genest.
plugin-fanOutTooLarge = Deze update was te groot om aan iedereen in de room te bezorgen en is niet aan jou bezorgd.
plugin-inputTooLarge = De invoer is te groot voor de handler.
plugin-stageMissing = Deze sync heeft geen handler voor deze stap.
plugin-unavailable = De handler is tijdelijk niet beschikbaar. Probeer het zo opnieuw.
plugin-hostCallFailed = Een serverfunctie die de handler aanriep is mislukt: { $reason }
plugin-asyncNotSettled = Het asynchrone werk van de handler werd nooit afgerond.
