//! The closed vocabularies of the contract.

use crate::string_enum;

string_enum!(
    /// What a user may do; each role includes the ones below it.
    Role { Admin => "admin", Supervisor => "supervisor", FieldStaff => "field_staff" }
);

impl Role {
    pub fn rank(self) -> u8 {
        match self {
            Role::FieldStaff => 1,
            Role::Supervisor => 2,
            Role::Admin => 3,
        }
    }

    /// Supervisors and admins review, read everything in scope and see every report.
    pub fn is_supervisor(self) -> bool {
        self.rank() >= Role::Supervisor.rank()
    }

    pub fn is_admin(self) -> bool {
        self == Role::Admin
    }
}

string_enum!(
    /// Level of an office in the administrative tree.
    OfficeLevel { National => "national", Province => "province", Regency => "regency" }
);

impl OfficeLevel {
    /// Depth in the tree: a child's depth is greater than its parent's.
    pub fn depth(self) -> u8 {
        match self {
            OfficeLevel::National => 0,
            OfficeLevel::Province => 1,
            OfficeLevel::Regency => 2,
        }
    }
}
