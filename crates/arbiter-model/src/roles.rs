//! Staff roles and what each may do. Every `/v1` route names one [`Permission`].

use std::fmt;
use std::str::FromStr;

/// A role given to a staff account or an API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including tokens and accounts.
    Admin,
    /// Writes and publishes policy; reads everything else.
    PolicyEditor,
    /// Risk operations: sends events, writes rules and lists, reads everything.
    Analyst,
    /// Resolution specialist: works cases; reads events.
    Agent,
    /// Reads.
    Viewer,
}

/// Something a request may want to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ReadEvents,
    WriteEvents,
    /// Publish rulesets, change lists.
    ManageRules,
    /// Write and review documents of the policy library.
    EditPolicies,
    /// Work cases: open, triage, decide, pay, message.
    WorkCases,
    ManageAccess,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::PolicyEditor,
        Role::Analyst,
        Role::Agent,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::PolicyEditor => "policy_editor",
            Role::Analyst => "analyst",
            Role::Agent => "agent",
            Role::Viewer => "viewer",
        }
    }

    /// Whether this role may do `permission`. The one place access is decided.
    pub fn allows(self, permission: Permission) -> bool {
        match permission {
            Permission::ReadEvents => true,
            Permission::WriteEvents | Permission::ManageRules => {
                matches!(self, Role::Admin | Role::Analyst)
            }
            Permission::EditPolicies => matches!(self, Role::Admin | Role::PolicyEditor),
            Permission::WorkCases => matches!(self, Role::Admin | Role::Agent),
            Permission::ManageAccess => self == Role::Admin,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown role {s:?}; expected one of {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admin_manages_access_and_only_admin_or_analyst_writes_events() {
        for role in Role::ALL {
            assert!(role.allows(Permission::ReadEvents));
            assert_eq!(role.allows(Permission::ManageAccess), role == Role::Admin);
            assert_eq!(
                role.allows(Permission::WriteEvents),
                matches!(role, Role::Admin | Role::Analyst)
            );
        }
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!(
            "root"
                .parse::<Role>()
                .unwrap_err()
                .contains("policy_editor")
        );
    }
}
