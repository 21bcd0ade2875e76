// Package auth holds the console's users, roles and sessions.
//
// Users are local accounts kept in one JSON file (<data_dir>/secrets/
// console-users.json, mode 0600, replaced atomically on every change) with
// argon2id password hashes; an agency with an identity provider can also
// sign users in through OpenID Connect, a claim of the ID token mapped to
// roles (OIDC). Sessions are server-side: a random 32-byte id in a Secure,
// HttpOnly, SameSite=Strict cookie names a session that ends after an idle
// time and after an absolute time, and carries the CSRF token every POST
// must echo. Failed logins are limited per user and per address (Limiter).
package auth
