//! certdesk-testkit
