# The keystore through the CLI: set (stdin only) / get / list / rm, mode 0600, wrong key, tampered
# and truncated files, passphrases, and concurrent `set`s that must lose nothing.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
printf 'name: ks\n' > $P/floe.yaml
export FLOE_KEYSTORE_KEY=$($FLOE secrets keygen)
unset FLOE_KEYSTORE FLOE_KEYSTORE_KEY_FILE FLOE_KEYSTORE_PASSPHRASE
KS=$P/.floe/keystore
[ ${#FLOE_KEYSTORE_KEY} = 64 ] || fail "keygen: $FLOE_KEYSTORE_KEY"

expect_rc 0 $FLOE -p $P secrets list                      # no keystore yet: empty
printf 's3cr3t-value\n' | $FLOE -p $P secrets set ClickHouse.Password 2>$T/err || fail "set: $(cat $T/err)"
grep -q "clickhouse.password set in keystore $KS" $T/err || fail "set message: $(cat $T/err)"
[ "$(stat -c %a $KS)" = 600 ] || fail "keystore mode $(stat -c %a $KS)"
! grep -qaF s3cr3t-value $KS || fail "value stored in clear"
[ "$($FLOE -p $P secrets get clickhouse.password)" = s3cr3t-value ] || fail "get (trailing newline stripped)"
printf 'a\0b' | $FLOE -p $P secrets set bin.value --raw 2>/dev/null
[ "$($FLOE -p $P secrets get bin.value | od -An -tx1 | tr -d ' ')" = 610062 ] || fail "binary value"
expect_rc 0 $FLOE -p $P secrets list
[ "$OUT" = "bin.value
clickhouse.password" ] || fail "list: $OUT"
expect_rc 2 $FLOE -p $P secrets set not_a_ref </dev/null
expect_out "expected group.key"
expect_rc 2 $FLOE -p $P secrets set a.b </dev/null
expect_out "empty value"
expect_rc 2 $FLOE -p $P secrets get no.such
expect_rc 0 $FLOE -p $P secrets rm bin.value
expect_rc 2 $FLOE -p $P secrets rm bin.value
expect_out "has no secret bin.value"

# wrong key, malformed key, no key
expect_rc 1 env FLOE_KEYSTORE_KEY=$($FLOE secrets keygen) $FLOE -p $P secrets list
expect_out "wrong key"
expect_rc 2 env FLOE_KEYSTORE_KEY=not-a-key $FLOE -p $P secrets list
expect_out "FLOE_KEYSTORE_KEY is not a valid key"; expect_no_out "not-a-key"
expect_rc 2 env -u FLOE_KEYSTORE_KEY $FLOE -p $P secrets list </dev/null
expect_out "no keystore key: set FLOE_KEYSTORE_KEY"
# key file
$FLOE secrets keygen --file $T/keyfile 2>/dev/null
[ "$(stat -c %a $T/keyfile)" = 600 ] || fail "key file mode"
expect_rc 2 $FLOE secrets keygen --file $T/keyfile
FLOE_KEYSTORE=$T/other.ks FLOE_KEYSTORE_KEY= FLOE_KEYSTORE_KEY_FILE=$T/keyfile sh -c "printf v | $FLOE secrets set x.y" 2>/dev/null \
  || fail "set with a key file"
[ "$(FLOE_KEYSTORE=$T/other.ks FLOE_KEYSTORE_KEY= FLOE_KEYSTORE_KEY_FILE=$T/keyfile $FLOE secrets get x.y)" = v ] || fail "get with key file"

# tampered: flip one byte of the ciphertext; truncated
cp $KS $T/good
python3 - "$KS" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); b[-3] ^= 1; open(p, 'wb').write(b)
PY
expect_rc 1 $FLOE -p $P secrets get clickhouse.password
expect_out "was modified or corrupted"; expect_no_out "s3cr3t"
head -c 40 $T/good > $KS
expect_rc 2 $FLOE -p $P secrets list
expect_out "not a floe keystore"
cp $T/good $KS

# passphrase keystore (Argon2id): one made by an older floe at a lower cost (ops 2, 64 MiB), so that this
# test stays fast; secrets_rekey.sh makes one at today's cost
export FLOE_KEYSTORE=$T/pass.ks
cp "$SRC/tests/e2e/secrets_keystore_interactive.ks" $T/pass.ks
expect_rc 0 sh -c "printf pv | env -u FLOE_KEYSTORE_KEY FLOE_KEYSTORE_PASSPHRASE='old horse' $FLOE secrets set p.q"
[ "$(env -u FLOE_KEYSTORE_KEY FLOE_KEYSTORE_PASSPHRASE='old horse' $FLOE secrets get p.q)" = pv ] || fail "passphrase get"
expect_rc 1 env -u FLOE_KEYSTORE_KEY FLOE_KEYSTORE_PASSPHRASE='wrong horse' $FLOE secrets get p.q
expect_out "wrong key"
expect_rc 1 $FLOE secrets get p.q                          # a key for a passphrase keystore
expect_out "protected by a passphrase"
unset FLOE_KEYSTORE

# concurrent writers: 12 processes at once, each its own name
for i in $(seq 12); do
  (printf 'value-%s' $i | $FLOE -p $P secrets set conc.k$i 2>/dev/null || echo "set $i failed" >> $T/conc_err) &
done
wait
[ ! -s $T/conc_err ] || fail "$(cat $T/conc_err)"
expect_rc 0 $FLOE -p $P secrets list
for i in $(seq 12); do
  expect_out "conc.k$i"
  [ "$($FLOE -p $P secrets get conc.k$i)" = value-$i ] || fail "conc.k$i lost or wrong"
done
expect_out "clickhouse.password"                           # earlier entries survive too
# secrets.keystore in floe.yaml places the keystore (relative to the project); FLOE_KEYSTORE still wins
Q=$T/proj2; mkdir -p $Q/assets
printf 'name: q\nsecrets: {keystore: vault/prod.keystore}\n' > $Q/floe.yaml
mkdir -p $Q/vault
printf 'v1' | $FLOE -p $Q secrets set app.token >/dev/null 2>&1 || fail "set with secrets.keystore"
[ -f $Q/vault/prod.keystore ] || fail "keystore not at secrets.keystore"
[ "$($FLOE -p $Q secrets get app.token)" = v1 ] || fail "get from secrets.keystore"
FLOE_KEYSTORE=$T/never-created.ks expect_rc 0 $FLOE -p $Q secrets list
expect_no_out "app.token"
echo ok
