#define _GNU_SOURCE
#include <spawn.h>
#include "csystem.h"

int rb_spawn_closefrom(void *actions, int low) {
    return posix_spawn_file_actions_addclosefrom_np((posix_spawn_file_actions_t *)actions, low);
}

short rb_spawn_setsid_flag(void) { return POSIX_SPAWN_SETSID; }

#include <malloc.h>

void rb_limit_malloc_arenas(int count) { mallopt(M_ARENA_MAX, count); }
