//! The commands someone may use, by role: the names `/help` lists and the command menu a
//! platform shows (set again when a role changes).

use super::command::commands_for;
use crate::checkins::kinds::Kinds;
use crate::domain::Role;
use crate::texts::members::{self as texts, CommandName};

/// The names of the commands someone with `role` may use, in the order help lists them.
pub fn command_names(role: Role) -> Vec<CommandName> {
    commands_for(role).map(|c| CommandName { name: c.name, word: c.word }).collect()
}

/// The command menu for someone with `role`: each command with its short description.
pub fn menu_entries(role: Role, kinds: &Kinds) -> Vec<(&'static str, String)> {
    texts::menu_entries(&command_names(role), kinds)
}
