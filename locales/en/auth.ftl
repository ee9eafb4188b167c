# Login and permissions (codes `auth.*`).

auth-required = You need to be logged in.
# $key: the access condition the session does not meet.
auth-forbidden = You do not have permission for this action (missing: { $key }).
auth-invalidCondition = The server's access rule "{ $key }" is set up incorrectly.
auth-invalidToken = Your login token is not valid. Please log in again.
auth-tokenExpired = Your session has expired. Please log in again.
# $origin: the site the request came from.
auth-originNotAllowed = Your login cookie is not accepted from { $origin }. Sign in from an allowed site.
