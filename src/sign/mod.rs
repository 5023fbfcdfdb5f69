//! Signatures in minisign's format (Ed25519): key pairs, signing and
//! verifying waiver files and reports. Sits beside the model: it depends on
//! no other stage.
