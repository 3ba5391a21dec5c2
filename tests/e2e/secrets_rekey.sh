# The keystore resists offline guessing (issue 8.7): a new passphrase keystore is derived with Argon2id at
# libsodium's MODERATE limits (ops 3, 256 MiB) whatever the environment says (FLOE_KEYSTORE_ARGON2_MIN=1 made
# it ops 1 / 8 KiB); a keystore made by an older floe (ops 2, 64 MiB: secrets_keystore_interactive.ks,
# passphrase "old horse") still opens, is flagged, and `floe secrets rekey` upgrades it or moves it to
# another passphrase or key without losing an entry.
. "$(dirname "$0")/lib.sh"
unset FLOE_KEYSTORE_KEY FLOE_KEYSTORE_KEY_FILE FLOE_KEYSTORE_PASSPHRASE
cost() { od -An -tu8 -j32 -N16 "$1" | tr -s ' ' | sed 's/^ //'; }   # header: opslimit memlimit
salt() { od -An -tx1 -j16 -N16 "$1" | tr -d ' \n'; }

# a new keystore: the real cost, the old test variable ignored
export FLOE_KEYSTORE=$T/new.ks
expect_rc 0 sh -c "printf v1 | FLOE_KEYSTORE_ARGON2_MIN=1 FLOE_KEYSTORE_PASSPHRASE='correct horse' $FLOE secrets set a.b"
[ "$(cost $T/new.ks)" = "3 268435456" ] || fail "new keystore cost: $(cost $T/new.ks)"

# an old keystore opens and is flagged...
export FLOE_KEYSTORE=$T/old.ks
cp "$SRC/tests/e2e/secrets_keystore_interactive.ks" $T/old.ks
[ "$(cost $T/old.ks)" = "2 67108864" ] || fail "fixture cost: $(cost $T/old.ks)"
export FLOE_KEYSTORE_PASSPHRASE='old horse'
expect_rc 0 $FLOE secrets list
expect_out "legacy.token"; expect_out "run \`floe secrets rekey\`"; expect_out "ops 2, 64 MiB"
mkdir -p $T/p/assets; printf 'name: rk\n' > $T/p/floe.yaml
printf 'assets:\n  - {key: a, kind: command, command: [true], env: {T: {secret: legacy.token}}}\n' > $T/p/assets/a.yaml
expect_rc 0 $FLOE -p $T/p secrets doctor
expect_out "keystore $T/old.ks"; expect_out "warning: keystore $T/old.ks is protected by a cheaper derivation"
# ...and is upgraded in place: same passphrase, fresh salt, today's cost, same entries
S0=$(salt $T/old.ks)
expect_rc 0 $FLOE secrets rekey
expect_out "re-encrypted (passphrase, Argon2id ops 2, 64 MiB -> passphrase, Argon2id ops 3, 256 MiB)"
[ "$(cost $T/old.ks)" = "3 268435456" ] || fail "rekeyed cost: $(cost $T/old.ks)"
[ "$(salt $T/old.ks)" != "$S0" ] || fail "rekey kept the salt"
[ "$(stat -c %a $T/old.ks)" = 600 ] || fail "rekeyed keystore mode $(stat -c %a $T/old.ks)"
# to another passphrase: the old one no longer opens it
expect_rc 0 env FLOE_KEYSTORE_NEW_PASSPHRASE='new horse' $FLOE secrets rekey
expect_rc 1 $FLOE secrets get legacy.token
expect_out "wrong key"
# to a key (no Argon2id at all), from the new passphrase
KEY=$($FLOE secrets keygen)
expect_rc 0 env FLOE_KEYSTORE_PASSPHRASE='new horse' FLOE_KEYSTORE_NEW_KEY=$KEY $FLOE secrets rekey
expect_out "-> key)"
unset FLOE_KEYSTORE_PASSPHRASE
[ "$(FLOE_KEYSTORE_KEY=$KEY $FLOE secrets get legacy.token)" = legacy-value-123 ] || fail "value lost in rekeying"
# nothing to re-key
expect_rc 2 env FLOE_KEYSTORE=$T/none.ks FLOE_KEYSTORE_KEY=$KEY $FLOE secrets rekey
expect_out "does not exist"
echo ok
