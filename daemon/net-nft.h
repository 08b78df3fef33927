/*
 * A bridged network's packet filtering, in nftables: one table of its own
 * (gasang_ and the first 8 digits of the network's uuid), so that adding
 * and removing it touches nothing else on the host, and removing it leaves
 * no rule behind. A nat network masquerades what its subnet sends
 * elsewhere and forwards between its bridge and the rest (replies only
 * inward); an isolated one forwards nothing to or from its bridge. Guests
 * on one bridge reach each other and the host either way.
 *
 * `nft -f -` (Debian's nftables) applies them; its message is the error.
 */
#ifndef DAEMON_NET_NFT_H
#define DAEMON_NET_NFT_H

#include <stdbool.h>
#include <stddef.h>

#define NFT_TABLE_MAX	32

/* The table's name for a network uuid, into buf (NFT_TABLE_MAX bytes). */
void nft_table_name(const char *uuid, char *buf);
/*
 * The script that (re)makes the table: any old one with that name is
 * deleted first, so applying it again changes nothing. subnet "A/P".
 * malloc'd; NULL: out of memory.
 */
char *nft_network_script(const char *table, bool nat, const char *bridge, const char *subnet);
/* Run a script through `nft -f -`: 0, or -errno with nft's message. */
int nft_apply(const char *script);
/* Remove the table (nothing when there is none). */
int nft_table_delete(const char *table);
/* Is there such a table (for tests and checks)? */
bool nft_table_exists(const char *table);

#endif
