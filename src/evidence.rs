//! Evidence bundles for legal teams, and their offline verification.
