# Inloggen en rechten (codes `auth.*`).

auth-required = Je moet ingelogd zijn.
auth-forbidden = Je hebt geen toestemming voor deze actie (ontbreekt: { $key }).
auth-invalidCondition = De toegangsregel "{ $key }" van de server is verkeerd ingesteld.
auth-invalidToken = Je inlogtoken is ongeldig. Log opnieuw in.
auth-tokenExpired = Je sessie is verlopen. Log opnieuw in.
# $origin: de site waar het verzoek vandaan kwam.
auth-originNotAllowed = Je logincookie wordt niet geaccepteerd vanaf { $origin }. Log in vanaf een toegestane site.
