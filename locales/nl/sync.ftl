# Problemen met het sync-verzoek zelf (codes `sync.*`).

sync-invalidRequest = Het sync-verzoek heeft een ontbrekend of ongeldig veld: { $field }.
sync-invalidName = "{ $name }" is geen geldige syncnaam.
sync-missingReceiver = Het sync-verzoek vermeldt niet wie het moet ontvangen.
sync-notFound = Er bestaat geen sync met de naam "{ $name }".
sync-routeUnavailable = "{ $name }" is tijdelijk niet beschikbaar: een deel van de handler ontbreekt op de server.
sync-receiverNotAllowed = Deze sync mag niet naar die ontvanger worden gestuurd.
sync-notRoomMember = Je bent geen lid van de ruimte "{ $room }".
sync-rateLimitExceeded =
    { $seconds ->
        [one] Te veel verzoeken. Probeer het over { $seconds } seconde opnieuw.
       *[other] Te veel verzoeken. Probeer het over { $seconds } seconden opnieuw.
    }
sync-tooManyInFlight =
    { $max ->
        [one] Wacht tot je vorige sync klaar is voordat je een nieuwe verstuurt.
       *[other] Je hebt al { $max } syncs onderweg. Wacht tot er een klaar is voordat je een nieuwe verstuurt.
    }
sync-inputTooDeep =
    { $maxDepth ->
        [one] De invoer is te diep genest: hoogstens { $maxDepth } niveau is toegestaan.
       *[other] De invoer is te diep genest: hoogstens { $maxDepth } niveaus zijn toegestaan.
    }
sync-invalidInputType = De invoer is ongeldig: { $message }
sync-invalidServerResponse = De serverhandler gaf een ongeldig antwoord.
sync-invalidClientResponse = De clienthandler gaf een ongeldig antwoord.
sync-serverExecutionFailed = De serverhandler is mislukt.
sync-clientExecutionFailed = De clienthandler is mislukt.
sync-payloadTooLarge = Het verzoek is te groot: hoogstens { $limitKb } kB is toegestaan.
sync-unsupportedMediaType = De inhoud van het verzoek heeft een type dat de server niet accepteert.
sync-methodNotAllowed = Deze HTTP-methode is hier niet toegestaan.
sync-serverBusy = De server verwerkt al zoveel verzoeken als hij kan ({ $max }). Probeer het zo opnieuw.
sync-shuttingDown = De server wordt afgesloten en neemt geen nieuwe verzoeken aan. Maak opnieuw verbinding om verder te gaan.
sync-bodyTimeout =
    { $seconds ->
        [one] De inhoud van het verzoek kwam niet binnen { $seconds } seconde aan.
       *[other] De inhoud van het verzoek kwam niet binnen { $seconds } seconden aan.
    }
sync-invalidBody = De inhoud van het verzoek kon niet worden gelezen.

sync-stateUnavailable = Gedeelde gegevens zijn nu niet beschikbaar. Probeer het zo opnieuw.
