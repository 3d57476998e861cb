//! Sign-in tokens: HS256 JWTs signed with `HEARTH_SECRET_KEY`, naming the user, tenant and session.
//! A valid signature is necessary but not sufficient: the session must also still exist.

use std::time::Duration;

use hearth_config::Secret;
use hearth_core::{SessionId, TenantId, UserId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// What a token says about its bearer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: UserId,
    /// The tenant id.
    pub tid: TenantId,
    /// The session id; revoking the session revokes the token.
    pub sid: SessionId,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds.
    pub exp: i64,
}

/// Issues and checks tokens with one key and lifetime.
#[derive(Clone)]
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime: Duration,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl TokenService {
    /// A service signing with `secret`; tokens live for `lifetime`.
    pub fn new(secret: &Secret, lifetime: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
            lifetime,
        }
    }

    /// A signed token for a new session, and when it expires.
    pub fn issue(
        &self,
        user: UserId,
        tenant: TenantId,
        session: SessionId,
        now: i64,
    ) -> (String, i64) {
        let exp = now + self.lifetime.as_secs() as i64;
        let claims = Claims {
            sub: user,
            tid: tenant,
            sid: session,
            iat: now,
            exp,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with an in-memory key cannot fail");
        (token, exp)
    }

    /// The claims of a token whose signature, algorithm and expiry are valid.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_core::time::unix_now;

    fn service(key: &str) -> TokenService {
        TokenService::new(&Secret::new(key), Duration::from_secs(3600))
    }

    #[test]
    fn issued_tokens_verify_and_carry_their_claims() {
        let tokens = service("k".repeat(32).as_str());
        let (user, session) = (UserId::new(), SessionId::new());
        let now = unix_now();
        let (token, exp) = tokens.issue(user, TenantId::DEFAULT, session, now);
        assert_eq!(exp, now + 3600);
        let claims = tokens.verify(&token).unwrap();
        assert_eq!(
            (claims.sub, claims.sid, claims.tid),
            (user, session, TenantId::DEFAULT)
        );
    }

    #[test]
    fn other_keys_tampering_and_expiry_are_rejected() {
        let tokens = service("k".repeat(32).as_str());
        let (token, _) = tokens.issue(
            UserId::new(),
            TenantId::DEFAULT,
            SessionId::new(),
            unix_now(),
        );
        assert!(
            service("j".repeat(32).as_str()).verify(&token).is_none(),
            "another key"
        );
        let mut tampered = token.clone();
        tampered.insert(tampered.len() - 3, 'x');
        assert!(tokens.verify(&tampered).is_none(), "tampered");
        let (old, _) = tokens.issue(
            UserId::new(),
            TenantId::DEFAULT,
            SessionId::new(),
            unix_now() - 7200,
        );
        assert!(tokens.verify(&old).is_none(), "expired");
        assert!(tokens.verify("not.a.token").is_none());
    }
}
