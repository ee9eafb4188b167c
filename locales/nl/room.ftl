# Ruimtes betreden (codes `room.*`).

room-invalidName =
    { $maxLength ->
        [one] Die ruimtenaam is ongeldig: gebruik hoogstens { $maxLength } teken.
       *[other] Die ruimtenaam is ongeldig: gebruik 1 tot { $maxLength } tekens.
    }
room-limitReached =
    { $max ->
        [one] Je kunt niet in meer dan { $max } ruimte tegelijk zitten.
       *[other] Je kunt niet in meer dan { $max } ruimtes tegelijk zitten.
    }
# $room: de ruimte; $key: het sessieveld dat het beleid controleert.
room-forbidden = Je mag niet in de ruimte "{ $room }" zijn.
room-joinRateExceeded =
    { $seconds ->
        [one] Je betreedt te snel ruimtes. Probeer het over { $seconds } seconde opnieuw.
       *[other] Je betreedt te snel ruimtes. Probeer het over { $seconds } seconden opnieuw.
    }
# Meegestuurd met het event `roomRemoved` als je door een configuratiewijziging niet meer in $room mag zijn.
room-removed = Je bent uit de ruimte "{ $room }" gehaald: de toegangsregels laten je er niet meer in.
# Meegestuurd met het event `roomRemoved` als een andere verbinding van dezelfde gebruiker $room verliet.
room-leftElsewhere = Je hebt de ruimte "{ $room }" op een andere verbinding verlaten.
room-tokenRequired = Voor de ruimte "{ $room }" heb je een uitnodiging nodig (een ruimtetoken).
room-tokenRefused = Met dat ruimtetoken kom je niet in "{ $room }".
# Het beleid van de ruimte noemt een join-handler die niet geladen is (verwijderd, of laadt niet).
room-joinUnavailable = Je kunt nu niet in "{ $room }". Probeer het later opnieuw.
room-joinHandlerFailed = Je kunt niet in "{ $room }": de controle die dat beslist bevat een fout.
