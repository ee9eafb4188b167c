//! Routes fail closed: a version's set of stages is fixed when it is first published, and a version
//! that lacks one of them is refused instead of served with what is left.
//!
//! A two-stage version whose client stage is deleted must never become a server-only route, which
//! would deliver the unfiltered server output to every member; one whose server stage is gone must
//! never fall back to the client stage's auth. So the registry remembers, per version, the stages it
//! was first published with (durably, in the store's published-stages ledger) and asks [`decide`]
//! on every scan: serve exactly those stages when all are loaded, otherwise mark the version
//! unavailable until the missing stage is back. A set may grow, never shrink: a stage that appears
//! beside a published one joins the version (two files deployed one scan apart land that way, and
//! the version becomes what its author wrote), and from then on it is required too. Pure logic, no
//! I/O.

use std::fmt;

use crate::config::Stage;

/// Which of a version's two stages are meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StageSet {
    /// The server stage.
    pub server: bool,
    /// The client stage.
    pub client: bool,
}

impl StageSet {
    /// The set with `stage` added.
    pub fn with(self, stage: Stage) -> Self {
        match stage {
            // A join handler is a route of its own kind, never a stage of a sync.
            Stage::Join => self,
            Stage::Server => Self {
                server: true,
                ..self
            },
            Stage::Client => Self {
                client: true,
                ..self
            },
        }
    }

    /// The stages in either set.
    pub fn union(self, other: Self) -> Self {
        Self {
            server: self.server || other.server,
            client: self.client || other.client,
        }
    }

    /// The stages in both sets.
    pub fn intersection(self, other: Self) -> Self {
        Self {
            server: self.server && other.server,
            client: self.client && other.client,
        }
    }

    /// Whether `stage` is in the set.
    pub fn contains(self, stage: Stage) -> bool {
        match stage {
            Stage::Join => false,
            Stage::Server => self.server,
            Stage::Client => self.client,
        }
    }

    /// Whether the set has no stage.
    pub fn is_empty(self) -> bool {
        !self.server && !self.client
    }

    /// The stages in the set, server first.
    pub fn stages(self) -> impl Iterator<Item = Stage> {
        [Stage::Server, Stage::Client]
            .into_iter()
            .filter(move |stage| self.contains(*stage))
    }

    /// Its text in the ledger: `server`, `client` or `server+client`.
    pub fn as_text(self) -> &'static str {
        match (self.server, self.client) {
            (true, true) => "server+client",
            (true, false) => "server",
            (false, true) => "client",
            (false, false) => "",
        }
    }

    /// Parses [`StageSet::as_text`]; `None` for anything else, the empty set included.
    pub fn parse(text: &str) -> Option<Self> {
        let set = match text {
            "server+client" => Self::default().with(Stage::Server).with(Stage::Client),
            "server" => Self::default().with(Stage::Server),
            "client" => Self::default().with(Stage::Client),
            _ => return None,
        };
        Some(set)
    }
}

impl fmt::Display for StageSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.server, self.client) {
            (true, true) => f.write_str("the server and client stages"),
            (true, false) => f.write_str("the server stage only"),
            (false, true) => f.write_str("the client stage only"),
            (false, false) => f.write_str("no stage"),
        }
    }
}

/// Why a stage the version needs is not there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Its file is gone.
    Deleted,
    /// Its file is there but did not load (or the folder rules refused it).
    NotLoaded,
}

/// What to do with one version on this scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Serve exactly these stages (all loaded).
    Serve(StageSet),
    /// Refuse the version: `stage` is needed and missing.
    Unavailable {
        /// The first missing stage, server first.
        stage: Stage,
        /// Why it is missing.
        missing: Missing,
    },
    /// Nothing of the version is here and nothing needs refusing: it is simply not published.
    Absent,
}

/// Decides one version from the stage set it was published with so far (`None`: never published),
/// the stages whose files are present now (loaded or not) and the stages loaded and servable. A
/// served set is the published one plus any stage present and loaded beside it.
pub fn decide(first: Option<StageSet>, present: StageSet, loaded: StageSet) -> Decision {
    if present.is_empty() && loaded.is_empty() {
        // Nothing of the version is left (or was ever here): unpublished, as a deleted route is.
        return Decision::Absent;
    }
    let needed = match first {
        Some(first) => first.union(present.intersection(loaded)),
        None => present.union(loaded),
    };
    for stage in needed.stages() {
        if !loaded.contains(stage) {
            let missing = if present.contains(stage) {
                Missing::NotLoaded
            } else {
                Missing::Deleted
            };
            return Decision::Unavailable { stage, missing };
        }
    }
    Decision::Serve(needed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: StageSet = StageSet {
        server: false,
        client: false,
    };
    const SERVER: StageSet = StageSet {
        server: true,
        client: false,
    };
    const CLIENT: StageSet = StageSet {
        server: false,
        client: true,
    };
    const BOTH: StageSet = StageSet {
        server: true,
        client: true,
    };

    #[test]
    fn a_new_version_is_served_with_the_stages_present_when_all_load() {
        assert_eq!(decide(None, BOTH, BOTH), Decision::Serve(BOTH));
        assert_eq!(decide(None, SERVER, SERVER), Decision::Serve(SERVER));
        assert_eq!(decide(None, CLIENT, CLIENT), Decision::Serve(CLIENT));
    }

    #[test]
    fn a_new_version_whose_client_stage_fails_to_load_is_not_served_server_only() {
        assert_eq!(
            decide(None, BOTH, SERVER),
            Decision::Unavailable {
                stage: Stage::Client,
                missing: Missing::NotLoaded
            }
        );
    }

    #[test]
    fn a_deleted_client_stage_makes_a_two_stage_version_unavailable() {
        assert_eq!(
            decide(Some(BOTH), SERVER, SERVER),
            Decision::Unavailable {
                stage: Stage::Client,
                missing: Missing::Deleted
            }
        );
    }

    #[test]
    fn a_deleted_server_stage_never_leaves_a_client_only_route() {
        assert_eq!(
            decide(Some(BOTH), CLIENT, CLIENT),
            Decision::Unavailable {
                stage: Stage::Server,
                missing: Missing::Deleted
            }
        );
    }

    #[test]
    fn a_broken_replacement_with_the_old_version_kept_is_still_served() {
        // The registry keeps the previous good load of a file whose new content fails: loaded.
        assert_eq!(decide(Some(BOTH), BOTH, BOTH), Decision::Serve(BOTH));
    }

    #[test]
    fn a_stage_added_to_a_published_version_joins_it() {
        assert_eq!(decide(Some(SERVER), BOTH, BOTH), Decision::Serve(BOTH));
        assert_eq!(decide(Some(CLIENT), BOTH, BOTH), Decision::Serve(BOTH));
        // An added stage that does not load leaves the version as it was published.
        assert_eq!(decide(Some(SERVER), BOTH, SERVER), Decision::Serve(SERVER));
    }

    #[test]
    fn a_version_with_no_file_left_is_absent() {
        assert_eq!(decide(Some(BOTH), NONE, NONE), Decision::Absent);
        assert_eq!(decide(None, NONE, NONE), Decision::Absent);
    }

    #[test]
    fn only_another_stage_left_is_unavailable() {
        assert_eq!(
            decide(Some(SERVER), CLIENT, CLIENT),
            Decision::Unavailable {
                stage: Stage::Server,
                missing: Missing::Deleted
            }
        );
    }

    #[test]
    fn texts_round_trip() {
        for set in [SERVER, CLIENT, BOTH] {
            assert_eq!(StageSet::parse(set.as_text()), Some(set));
        }
        assert_eq!(StageSet::parse(""), None);
    }
}
