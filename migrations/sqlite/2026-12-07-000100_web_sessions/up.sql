-- Sign-in sessions of the web app (/app). The cookie carries a random token; only its
-- SHA-256 is kept, so a copy of the database cannot be replayed as a cookie. The user's
-- auth_epoch at sign-in is kept so a password reset or deactivation ends every session.
CREATE TABLE web_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    auth_epoch INTEGER NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen_at);
