//! The flows' error: a core or store error passed through, or a cause of the flows' own.

/// Why a flow failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// certdesk-core refused or failed.
    #[error(transparent)]
    Core(#[from] certdesk_core::Error),
    /// certdesk-store refused or failed.
    #[error(transparent)]
    Store(#[from] certdesk_store::Error),
    /// A request cannot be sent as asked (see [`crate::enroll::EnrollProblem`]).
    #[error(transparent)]
    Enroll(#[from] crate::enroll::EnrollProblem),
    /// Neither the environment nor the user database names a home directory.
    #[error("cannot find this user's home directory, so no browser store can be found")]
    NoHome,
}

/// A flow's result.
pub type Result<T> = std::result::Result<T, Error>;
