#ifndef RUNBOOK_CSYSTEM_H
#define RUNBOOK_CSYSTEM_H

// The header names no glibc type: the functions need _GNU_SOURCE, which must not leak into the
// Glibc module Swift builds (fd_set would then differ between modules).

/// posix_spawn_file_actions_addclosefrom_np: closes every descriptor from `low` up in the child.
int rb_spawn_closefrom(void *actions, int low);

/// POSIX_SPAWN_SETSID: the child starts a session (and process group) of its own.
short rb_spawn_setsid_flag(void);

/// The standard descriptors (bit 0: stdin, 1: stdout, 2: stderr) that were closed when the process
/// started; a constructor filled them with /dev/null before anything else could open them.
int rb_closed_std_fds(void);

#endif
