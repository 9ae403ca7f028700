#!/usr/bin/env bash
# Regenerates the fuzz targets' fixtures (fuzz/fixtures/) and seed corpora
# (fuzz/corpus/<target>/seed-*) from real inputs: a small PKI made here with OpenSSL
# (certificates, requests, PKCS#7, PKCS#12 legacy and modern, PKCS#8, CRLs from `openssl ca
# -gencrl`, OCSP answers from `openssl ocsp`), the example profiles and the inline fixtures of
# the unit tests, `certutil -L` output (when NSS's certutil is installed) and the text pages in
# ../shared/seeds (when present).
#
# The output is committed, so neither CI nor the smoke test runs this; run it again only to
# change the seeds (keys are random, so every run rewrites every binary seed). It replaces the
# seed-* files only: regress-* files (reproducers of fixed bugs) and what a campaign merged in
# are kept.
#
# The fixtures and seeds are valid on 2030-06-01, the fixed "now" of the crl and ocsp targets:
# certificates, CRLs and OCSP answers are made valid for 20 years from today.
#
# Needs: openssl (3.x), base64, od; optional: certutil (libnss3-tools).
set -euo pipefail

fuzz=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$fuzz")
corpus=$fuzz/corpus
fixtures=$fuzz/fixtures
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

PW=fuzz-password # the password the inspect_bytes, import_pkcs12 and private_key targets use
DAYS=7300
MAX_SEED=16384

targets=(read_content certs_from_pkcs7 build_chain inspect_bytes import_pkcs12 private_key csr
  profile profile_link csr_attrs retry_after crl ocsp revocation_sources weburl nss_cert_list probe_exchange
  practice_request)
for t in "${targets[@]}"; do
  mkdir -p "$corpus/$t"
  rm -f "$corpus/$t"/seed-*
done
mkdir -p "$fixtures"

# put TARGET NAME FILE: copies FILE into the target's corpus as seed-NAME.
put() {
  local size
  size=$(wc -c <"$3")
  if ((size > MAX_SEED)); then
    echo "make-corpus: $3 for $1 is $size bytes (limit $MAX_SEED)" >&2
    exit 1
  fi
  cp "$3" "$corpus/$1/seed-$2"
}
# put_text TARGET NAME TEXT: TEXT (without a trailing newline) as seed-NAME.
put_text() {
  printf '%s' "$3" >"$work/text.tmp"
  put "$1" "$2" "$work/text.tmp"
}
b64_der() { base64 -d <<<"$1"; }
# A u16 big-endian length prefix and the file, for the build_chain records.
record() {
  local n
  n=$(wc -c <"$1")
  printf "\\x$(printf %02x $((n >> 8)))\\x$(printf %02x $((n & 255)))"
  cat "$1"
}

# openssl, quiet unless it fails.
ossl() {
  openssl "$@" 2>"$work/openssl.err" || {
    echo "make-corpus: openssl $1 failed:" >&2
    cat "$work/openssl.err" >&2
    return 1
  }
}

# --- a small PKI: root (EC P-256) -> issuing CA (RSA 2048) -> clients, OCSP responder -------
cat >ca.cnf <<'EOF'
[ ca ]
default_ca = fuzzca
[ fuzzca ]
dir = .
database = ./index.txt
new_certs_dir = ./newcerts
serial = ./serial
crlnumber = ./crlnumber
certificate = ./inter.pem
private_key = ./inter.key
default_md = sha256
policy = loose
unique_subject = no
copy_extensions = copy
email_in_dn = no
[ loose ]
commonName = supplied
organizationName = optional
organizationalUnitName = optional
countryName = optional
emailAddress = optional
[ root_ext ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ inter_ext ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:http://crl.fuzz.example/root.crl
[ client_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:http://crl.fuzz.example/inter.crl,URI:https://crl2.fuzz.example/inter.crl
authorityInfoAccess = OCSP;URI:http://ocsp.fuzz.example/,caIssuers;URI:http://ca.fuzz.example/inter.cer
[ server_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:www.fuzz.example,IP:192.0.2.1
[ odd_ext ]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth,emailProtection,1.3.6.1.4.1.311.20.2.2
crlDistributionPoints = dp1,dp2
authorityInfoAccess = OCSP;URI:ldap://ocsp.fuzz.example/,OCSP;URI:https://ocsp2.fuzz.example/x?y=1,caIssuers;email:ca@fuzz.example
subjectAltName = email:carol@fuzz.example,URI:https://carol.fuzz.example/,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:carol@fuzz.example
[ dp1 ]
fullname = URI:http://crl.fuzz.example/dp1.crl,dirName:crl_issuer
reasons = keyCompromise,CACompromise
CRLissuer = dirName:crl_issuer
[ dp2 ]
fullname = URI:ldap://ldap.fuzz.example/cn=Fuzz%20CA?certificateRevocationList,URI:http://crl.fuzz.example/odd.crl
[ crl_issuer ]
CN = Fuzz Issuing CA
[ ocsp_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
[ crl_ext ]
authorityKeyIdentifier = keyid
EOF
mkdir newcerts
touch index.txt
echo 1000 >serial
echo 01 >crlnumber

ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out root.key
ossl req -x509 -new -key root.key -subj "/O=certdesk fuzz/CN=Fuzz Root CA" -days $DAYS \
  -config ca.cnf -extensions root_ext -set_serial 1 -out root.pem
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out inter.key
ossl req -new -key inter.key -subj "/O=certdesk fuzz/CN=Fuzz Issuing CA" -out inter.csr
ossl x509 -req -in inter.csr -CA root.pem -CAkey root.key -set_serial 2 -days $DAYS \
  -extfile ca.cnf -extensions inter_ext -out inter.pem

# newkey NAME ALG [OPTS…]: a key in NAME.key (PKCS#8 PEM, unencrypted).
newkey() {
  local name=$1
  shift
  ossl genpkey -algorithm "$@" -out "$name.key"
}
# issue NAME SUBJECT EXT [REQ OPTS…]: a CSR NAME.csr for NAME.key, signed by the issuing CA.
issue() {
  local name=$1 subj=$2 ext=$3
  shift 3
  ossl req -new -key "$name.key" -subj "$subj" "$@" -out "$name.csr"
  ossl ca -batch -config ca.cnf -extensions "$ext" -days $DAYS -notext \
    -in "$name.csr" -out "$name.pem"
}
newkey leaf EC -pkeyopt ec_paramgen_curve:P-256
issue leaf "/O=certdesk fuzz/CN=Alice Fuzz" client_ext -addext subjectAltName=email:alice@fuzz.example
newkey leaf2 RSA -pkeyopt rsa_keygen_bits:2048
issue leaf2 "/C=DE/O=certdesk fuzz/OU=Staff/CN=Bob Fuzz" client_ext
newkey ocsp EC -pkeyopt ec_paramgen_curve:P-384
issue ocsp "/O=certdesk fuzz/CN=Fuzz OCSP responder" ocsp_ext
newkey server EC -pkeyopt ec_paramgen_curve:P-256
issue server "/CN=www.fuzz.example" server_ext
newkey odd EC -pkeyopt ec_paramgen_curve:P-384
issue odd "/CN=Carol Fuzz/emailAddress=carol@fuzz.example" odd_ext
for c in root inter leaf leaf2 ocsp server odd; do
  ossl x509 -in $c.pem -outform DER -out $c.der
done
cat inter.pem root.pem >cas.pem
cat leaf.pem inter.pem root.pem >chain.pem

cp leaf.der "$fixtures/leaf.der"
cp inter.der "$fixtures/ca.der"

# --- OCSP: one request (with a nonce), answers from `openssl ocsp` before and after revocation
ossl ocsp -issuer inter.pem -cert leaf.pem -reqout req.der
ossl ocsp -issuer inter.pem -cert leaf.pem -no_nonce -reqout req-no-nonce.der
ossl ocsp -issuer root.pem -cert inter.pem -reqout req-other.der
ossl ocsp -issuer inter.pem -sha256 -cert leaf.pem -reqout req-sha256.der
# The nonce the answers echo: the request's OCSP nonce extension, an OCTET STRING in an OCTET STRING.
nonce_hex=$(openssl ocsp -reqin req.der -req_text -noverify 2>/dev/null |
  awk '/OCSP Nonce/ { getline; gsub(/[ \t]/, ""); print; exit }')
if [[ ! $nonce_hex =~ ^04([0-9A-Fa-f]{2})([0-9A-Fa-f]+)$ ]]; then
  echo "make-corpus: no OCSP nonce found in the request ($nonce_hex)" >&2
  exit 1
fi
# shellcheck disable=SC2059 # the format is the \xHH escapes of the nonce
printf "$(sed 's/../\\x&/g' <<<"${BASH_REMATCH[2]}")" >"$fixtures/ocsp-nonce.bin"

respond() { # respond OUT REQ SIGNER KEY [OPTS…]
  local out=$1 req=$2 signer=$3 key=$4
  shift 4
  ossl ocsp -index index.txt -CA inter.pem -rsigner "$signer" -rkey "$key" -reqin "$req" \
    -ndays $DAYS -respout "$out" "$@"
}
respond ocsp-good.der req.der inter.pem inter.key
respond ocsp-delegated.der req.der ocsp.pem ocsp.key
respond ocsp-no-certs.der req.der inter.pem inter.key -resp_no_certs
respond ocsp-key-id.der req.der ocsp.pem ocsp.key -resp_key_id
respond ocsp-no-nonce.der req-no-nonce.der inter.pem inter.key
respond ocsp-other-cert.der req-other.der inter.pem inter.key
respond ocsp-sha256-certid.der req-sha256.der inter.pem inter.key
respond ocsp-wrong-signer.der req.der server.pem server.key

# --- CRLs from `openssl ca -gencrl` -------------------------------------------------------
ca_crl() { ossl ca -batch -config ca.cnf -gencrl -crldays $DAYS -crlexts crl_ext "$@"; }
ca_crl -out crl-empty.pem
ossl ca -batch -config ca.cnf -revoke leaf2.pem -crl_reason superseded
ca_crl -out crl-leaf2.pem
ossl ca -batch -config ca.cnf -revoke server.pem -crl_reason keyCompromise
ossl ca -batch -config ca.cnf -revoke leaf.pem -crl_reason keyCompromise
ca_crl -out crl-revoked.pem
ca_crl -md sha384 -out crl-sha384.pem
ca_crl -cert root.pem -keyfile root.key -out crl-root.pem
respond ocsp-revoked.der req.der inter.pem inter.key
for c in crl-empty crl-leaf2 crl-revoked crl-sha384 crl-root; do
  ossl crl -in $c.pem -outform DER -out $c.der
done

for f in ocsp-*.der; do put ocsp "${f%.der}" "$f"; done
printf '\x30\x03\x0a\x01\x01' >ocsp-malformed-request.der
printf '\x30\x03\x0a\x01\x06' >ocsp-unauthorized.der
printf '\x30\x03\x0a\x01\x03' >ocsp-try-later.der
for f in ocsp-malformed-request.der ocsp-unauthorized.der ocsp-try-later.der; do
  put ocsp "${f%.der}" "$f"
done
for c in crl-empty crl-leaf2 crl-revoked crl-sha384 crl-root; do
  put crl "$c.der" $c.der
done
put crl crl-revoked.pem crl-revoked.pem
put crl crl-empty.pem crl-empty.pem

# --- certificates, revocation sources, chains ----------------------------------------------
for c in root inter leaf leaf2 ocsp server odd; do
  put revocation_sources "$c.der" $c.der
done
{ record leaf.der; record inter.der; record root.der; } >chain-ordered.bin
{ record leaf.der; record root.der; record inter.der; } >chain-unordered.bin
{ record leaf2.der; record root.der; record ocsp.der; record leaf.der; record inter.der; } >chain-pool.bin
{ record odd.der; record inter.der; } >chain-no-root.bin
{ record root.der; record root.der; } >chain-self-signed.bin
{ record leaf.der; record leaf.der; record leaf.der; } >chain-repeated-leaf.bin
for f in chain-*.bin; do put build_chain "${f%.bin}" "$f"; done

# --- PKCS#7 certs-only, PEM and DER ----------------------------------------------------------
ossl crl2pkcs7 -nocrl -certfile chain.pem -outform DER -out p7-chain.der
ossl crl2pkcs7 -nocrl -certfile chain.pem -out p7-chain.pem
ossl crl2pkcs7 -nocrl -certfile leaf.pem -outform DER -out p7-leaf.der
ossl crl2pkcs7 -in crl-revoked.pem -certfile cas.pem -outform DER -out p7-with-crl.der
ossl crl2pkcs7 -in crl-empty.pem -outform DER -out p7-crl-only.der
for f in p7-chain.der p7-leaf.der p7-with-crl.der p7-crl-only.der; do put certs_from_pkcs7 "$f" "$f"; done

# --- private keys: PKCS#8 plain and encrypted, PKCS#1, SEC1, unsupported kinds ---------------
newkey p384 EC -pkeyopt ec_paramgen_curve:P-384
newkey p521 EC -pkeyopt ec_paramgen_curve:P-521
newkey ed25519 ED25519
newkey rsa1024 RSA -pkeyopt rsa_keygen_bits:1024
p8() { ossl pkcs8 -topk8 -in "$1" "${@:3}" -out "$2"; }
p8 leaf.key key-p256.pem -nocrypt
p8 leaf.key key-p256.der -nocrypt -outform DER
p8 leaf2.key key-rsa2048.der -nocrypt -outform DER
p8 p384.key key-p384.pem -nocrypt
p8 p521.key key-p521.der -nocrypt -outform DER
p8 ed25519.key key-ed25519.pem -nocrypt
p8 rsa1024.key key-rsa1024.der -nocrypt -outform DER
p8 leaf.key key-pbes2-aes256.pem -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter 16 -passout pass:$PW
p8 leaf2.key key-pbes2-aes128-sha1.pem -v2 aes-128-cbc -v2prf hmacWithSHA1 -iter 8 -passout pass:$PW
p8 leaf.key key-scrypt.pem -scrypt -scrypt_N 1024 -scrypt_r 8 -scrypt_p 1 -passout pass:$PW
p8 leaf.key key-pbe-sha1-3des.pem -v1 PBE-SHA1-3DES -iter 16 -passout pass:$PW
p8 leaf.key key-pbes2-aes256.der -v2 aes-256-cbc -iter 16 -passout pass:$PW -outform DER
p8 leaf.key key-wrong-password.pem -v2 aes-256-cbc -iter 16 -passout pass:another-password
ossl rsa -in leaf2.key -traditional -out key-pkcs1.pem
ossl ec -in leaf.key -out key-sec1.pem
for f in key-*.pem key-*.der; do put private_key "$f" "$f"; done

# --- PKCS#12: modern (PBES2/AES, HMAC-SHA256) and legacy (3DES/RC2, SHA-1), low iterations ----
p12() { ossl pkcs12 -export -passout pass:$PW -name "Alice Fuzz" "$@"; }
p12 -inkey leaf.key -in leaf.pem -certfile cas.pem -keypbe AES-256-CBC -certpbe AES-256-CBC \
  -macalg sha256 -iter 16 -out p12-modern.p12
p12 -inkey leaf.key -in leaf.pem -certfile cas.pem -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES \
  -macalg sha1 -iter 16 -out p12-legacy-3des.p12
if p12 -legacy -inkey leaf.key -in leaf.pem -iter 16 -out p12-legacy-rc2.p12; then :; else
  echo "make-corpus: OpenSSL's legacy provider is missing; no RC2-40 PKCS#12 seed" >&2
  rm -f p12-legacy-rc2.p12
fi
p12 -inkey leaf2.key -in leaf2.pem -certfile cas.pem -iter 8 -out p12-rsa.p12
p12 -inkey leaf.key -in leaf.pem -certfile cas.pem -iter 16 -nomac -out p12-no-mac.p12
p12 -inkey leaf.key -in leaf.pem -keypbe NONE -certpbe NONE -iter 4 -out p12-unencrypted.p12
p12 -nokeys -in chain.pem -iter 4 -out p12-certs-only.p12
p12 -inkey leaf.key -nocerts -iter 4 -out p12-key-only.p12
ossl pkcs12 -export -passout pass:another-password -inkey leaf.key -in leaf.pem -iter 4 \
  -out p12-other-password.p12
for f in p12-*.p12; do put import_pkcs12 "$f" "$f"; done

# --- certificate requests ------------------------------------------------------------------
csr() { # csr NAME KEY SUBJECT [OPTS…]: NAME.der and NAME.pem
  local name=$1 key=$2 subj=$3
  shift 3
  ossl req -new -key "$key" -subj "$subj" "$@" -out "$name.pem"
  ossl req -in "$name.pem" -outform DER -out "$name.der"
}
csr csr-p256-full leaf.key "/O=certdesk fuzz/CN=Alice Fuzz" \
  -addext subjectAltName=email:alice@fuzz.example -addext keyUsage=critical,digitalSignature \
  -addext extendedKeyUsage=clientAuth
csr csr-rsa-sha256 leaf2.key "/C=DE/ST=Berlin/L=Berlin/O=certdesk fuzz/OU=Staff/CN=Bob Fuzz"
csr csr-rsa-sha384 leaf2.key "/CN=Bob Fuzz" -sha384
csr csr-rsa-sha512 leaf2.key "/CN=Bob Fuzz" -sha512
csr csr-rsa-pss leaf2.key "/CN=Bob Fuzz" -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32
csr csr-p384 p384.key "/CN=Dave Fuzz/emailAddress=dave@fuzz.example"
csr csr-ed25519 ed25519.key "/CN=Eve Fuzz"
csr csr-multi-rdn leaf.key "/CN=Frank Fuzz+OU=Two Values" -multivalue-rdn
csr csr-utf8 leaf.key "/CN=Jürgen Groß/O=Überweisung GmbH" -utf8
cat >challenge.cnf <<'EOF'
[ req ]
distinguished_name = dn
attributes = attrs
prompt = no
[ dn ]
CN = Carol Fuzz
[ attrs ]
challengePassword = A1B2-C3D4
EOF
ossl req -new -key leaf.key -config challenge.cnf -out csr-challenge.pem
ossl req -in csr-challenge.pem -outform DER -out csr-challenge.der
for f in csr-*.der; do put csr "$f" "$f"; done
# A request whose signature does not verify (one byte of the subject changed).
cp csr-p256-full.der csr-bad-signature.der
printf 'X' | dd of=csr-bad-signature.der bs=1 seek=40 conv=notrunc 2>/dev/null
put csr csr-bad-signature.der csr-bad-signature.der

# --- the practice CA's EST requests: bodies (base64 wrapped, CRLF, PEM) and Basic headers -----
for name in csr-p256-full csr-rsa-sha384 csr-ed25519 csr-multi-rdn csr-challenge; do
  base64 -w 64 $name.der >"body-$name.b64"
  put practice_request "body-$name.b64" "body-$name.b64"
done
base64 -w 76 csr-utf8.der | sed 's/$/\r/' >body-crlf.b64
put practice_request body-crlf.b64 body-crlf.b64
base64 -w 0 csr-p384.der >body-one-line.b64
put practice_request body-one-line.b64 body-one-line.b64
put practice_request body-csr.pem csr-p256-full.pem
sed 's/CERTIFICATE REQUEST/NEW CERTIFICATE REQUEST/' csr-rsa-sha256.pem >body-new-csr.pem
put practice_request body-new-csr.pem body-new-csr.pem
put practice_request body-certificate.pem leaf.pem
put_text practice_request header-basic "Basic $(printf 'practice:ABCD-EFGH-JKLM' | base64 -w 0)"
put_text practice_request header-basic-wrong "basic $(printf 'practice:WRONG' | base64 -w 0)"
put_text practice_request header-bearer "Bearer abc.def.ghi"

# --- what a user hands `certdesk inspect` / the import: every encoding ------------------------
cp leaf.pem any-cert.pem
cp chain.pem any-chain.pem
cp leaf.der any-cert.der
base64 -w 64 leaf.der >any-cert.b64
base64 -w 0 leaf.der | tr '+/' '-_' | tr -d '=' >any-cert-url.b64
{ printf '\xef\xbb\xbf'; cat leaf.pem; } >any-bom.pem
cat leaf.pem leaf.key >any-cert-and-key.pem
cp p7-chain.pem any-p7.pem
cp p7-chain.der any-p7.der
cp p12-modern.p12 any-modern.p12
cp p12-legacy-3des.p12 any-legacy.p12
cp csr-p256-full.pem any-csr.pem
cp csr-rsa-sha256.der any-csr.der
cp key-pbes2-aes256.pem any-encrypted-key.pem
cp key-pkcs1.pem any-rsa-key.pem
cp crl-revoked.pem any-crl.pem
cat >any-login.html <<'EOF'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in - Example Corp Certificate Portal</title></head>
<body><form method="post" action="/login"><input name="user"><input type="password" name="pw"></form></body></html>
EOF
printf ' \r\n\t \n' >any-whitespace.txt
head -c 200 leaf.der >any-truncated.der
for f in any-*; do
  put read_content "$f" "$f"
  put inspect_bytes "$f" "$f"
done

# --- EST csrattrs answers (RFC 7030 §4.5.2, RFC 9908 templates), made with asn1parse -genconf --
put_text csr_attrs rfc7030-example $'MEEGCSqGSIb3DQEJBzASBgcqhkjOPQIBMQcGBSuBBAAiMBYGCSqGSIb3DQEJDjEJ\nBgcrBgEBAQEWBggqhkjOPQQDAw==\n'
attrs() { # attrs NAME: base64 of the DER that asn1parse makes from attrs.cnf
  ossl asn1parse -genconf attrs.cnf -noout -out "$1.der"
  base64 -w 64 "$1.der" >"$1.b64"
  put csr_attrs "$1" "$1.b64"
}
cat >attrs.cnf <<'EOF'
asn1 = SEQUENCE:attrs
[ attrs ]
a = SEQUENCE:ext_req_oids
b = OID:ecdsa-with-SHA256
c = SEQUENCE:ec_key
d = SEQUENCE:rsa_key
e = OID:emailAddress
f = OID:challengePassword
[ ext_req_oids ]
type = OID:extReq
values = SET:ext_oids
[ ext_oids ]
ku = OID:keyUsage
eku = OID:extendedKeyUsage
san = OID:subjectAltName
[ ec_key ]
type = OID:id-ecPublicKey
values = SET:curve
[ curve ]
c = OID:secp384r1
[ rsa_key ]
type = OID:rsaEncryption
values = SET:rsa_size
[ rsa_size ]
size = INTEGER:3072
EOF
attrs attrs-oids-and-keys
cat >attrs.cnf <<'EOF'
asn1 = SEQUENCE:attrs
[ attrs ]
a = SEQUENCE:ext_req
b = OID:sha384WithRSAEncryption
[ ext_req ]
type = OID:extReq
values = SET:ext_set
[ ext_set ]
exts = SEQUENCE:exts
[ exts ]
ku = SEQUENCE:ku_ext
eku = SEQUENCE:eku_ext
san = SEQUENCE:san_ext
[ ku_ext ]
id = OID:keyUsage
critical = BOOLEAN:true
value = OCTWRAP,FORMAT:BITLIST,BITSTRING:0
[ eku_ext ]
id = OID:extendedKeyUsage
value = OCTWRAP,SEQUENCE:eku
[ eku ]
a = OID:clientAuth
b = OID:serverAuth
[ san_ext ]
id = OID:subjectAltName
value = OCTETSTRING:
EOF
attrs attrs-rfc9908-templates
cat >attrs.cnf <<'EOF'
asn1 = SEQUENCE:attrs
[ attrs ]
a = OID:rsassaPss
b = OID:ED25519
c = SEQUENCE:ec_key
[ ec_key ]
type = OID:id-ecPublicKey
values = SET:curve
[ curve ]
c = OID:prime256v1
EOF
attrs attrs-signatures
put_text csr_attrs empty ""
put_text csr_attrs not-base64 "%%%"

# --- help-desk profiles: the examples, the unit tests' fixtures -------------------------------
for f in "$root"/examples/profiles/*.toml; do
  put profile "example-$(basename "$f")" "$f"
done
put_text profile test-good 'format = 1
name = "Example Corp staff"
support = "helpdesk@example.org"
allowed_keys = ["ec-p256", "rsa-3072"]

[enroll]
method = "est"
url = "https://est.example.org"
label = "staff"
ca_sha256 = "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89"
auth = "one-time-code"

[subject]
organization = "Example Corp"
organizational_unit = "Staff"
email_san = true
'
put_text profile test-every-problem 'format = 2
name = "  "
allowed_keys = ["ec-p256", "rsa-1024"]
default_key = "ec-p384"
colour = "blue"

[enroll]
method = "est"
url = "http://est.example.org"
ca_sha256 = "AB:CD"
auth = "sms"
'
put_text profile test-portal $'format = 1\nname = "P"\n[enroll]\nmethod = "portal"\nupload = "raw"\nurl = "https://ca.example.org/upload"\n'
put_text profile test-email $'format = 1\nname = "E"\n[enroll]\nmethod = "email"\nto = "not-an-address"\n'
put_text profile test-insecure $'insecure = true\nformat = "certdesk-profile/1"\nname = "x"\n[enroll]\nmethod = "est"\nurl = "https://a.example"\ntls-verify = "no"\n[enroll.nested]\nverify = false\n'
put_text profile test-syntax $'format = 1\nname = "x\n'
put_text profile test-wrong-type $'format = 1\nname = 5\n[enroll]\nmethod = "email"\nto = "a@b.org"\n'

# --- certdesk:// links (the link module's tests) --------------------------------------------
sha=$(printf 'profile' | openssl dgst -sha256 -r | cut -d' ' -f1)
i=0
for link in \
  "certdesk://profile?url=https%3A%2F%2Fhelp.example.org%2Fp%2Fstaff.certdesk%3Fv%3D2" \
  "CERTDESK://profile/?sha256=$sha&url=https://help.example.org/staff.certdesk" \
  "certdesk://profile?url=https%3A%2F%2Fa.example%2Fp&sha256=$(echo "$sha" | sed 's/../&:/g; s/:$//')" \
  "https://help.example.org/staff.certdesk?x=1" \
  "certdesk://enroll?url=https%3A%2F%2Fa.example" \
  "certdesk://profile?url=http%3A%2F%2Fhelp.example.org%2Fp" \
  "certdesk://profile?url=https%3A%2F%2Fhelp.example.org%2" \
  "certdesk://profile?url=https%3A%2F%2Fa.example%2F%FF" \
  "certdesk://profile?url=https%3A%2F%2Fa.example&url=https%3A%2F%2Fb.example" \
  "certdesk:profile?url=https%3A%2F%2Fa.example&insecure=1#frag"; do
  put_text profile_link "link-$i" "$link"
  i=$((i + 1))
done

# --- web addresses (the weburl module's tests, the profiles' and certificates' addresses) -----
i=0
for url in "https://intranet.example.org/" "https://Expenses.Example.org:8443/login?next=%2Fa#top" \
  "http://crl.fuzz.example/inter.crl" "https://[2001:db8::1]:444/.well-known/est/" \
  "https://user:secret@host.example/" $'https://host.example/a\r\nX-Evil: 1' \
  "ldap://ldap.fuzz.example/cn=Fuzz%20CA?certificateRevocationList" "https://xn--bcher-kva.example/ü" \
  "https://127.0.0.1:0/" " https://est.example.org/.well-known/est/staff/ " "file:///etc/passwd" \
  "https://host.example:99999/" "https://a b.example/" "https://ex%41mple.org/%2e%2e/x"; do
  put_text weburl "url-$i" "$url"
  i=$((i + 1))
done

# --- Retry-After values ------------------------------------------------------------------------
i=0
for v in 120 0 1 999999 18446744073709551616 -5 " 60 " "Sun, 22 Nov 2026 10:05:00 GMT" \
  "Sun, 06 Nov 1994 08:49:37 GMT" "Fri, 31 Dec 9999 23:59:59 GMT" "soon"; do
  put_text retry_after "value-$i" "$v"
  i=$((i + 1))
done

# --- certutil -L: the unit test's listing and, when NSS is installed, a real one ---------------
put_text nss_cert_list unit-test $'\nCertificate Nickname                                         Trust Attributes\n                                                             SSL,S/MIME,JAR/XPI\n\nAlice Example                                                u,u,u\nCross Root CA                                                ,,   \nsrv ca                                                       CT,C,C\n'
if command -v certutil >/dev/null 2>&1 && command -v pk12util >/dev/null 2>&1; then
  mkdir nssdb
  certutil -N -d sql:nssdb --empty-password
  pk12util -i p12-modern.p12 -d sql:nssdb -W "$PW" >/dev/null 2>&1 || true
  certutil -A -d sql:nssdb -n "Fuzz Root CA (trusted)" -t "CT,C,C" -i root.pem
  certutil -A -d sql:nssdb -n "Bob Fuzz - certdesk fuzz" -t ",," -i leaf2.pem
  certutil -L -d sql:nssdb >certutil-list.txt
  put nss_cert_list certutil-real certutil-list.txt
else
  echo "make-corpus: certutil/pk12util not installed; no real certutil -L seed" >&2
fi

# --- prose pages about client certificates (../shared/seeds), cut to the seed size limit -------
shared=$root/../shared/seeds
if [[ -d $shared ]]; then
  for f in "$shared"/*; do
    [[ -f $f ]] || continue
    name=page-$(basename "$f" | cut -c1-3)
    head -c $MAX_SEED "$f" >"$name.txt"
    put read_content "$name.txt" "$name.txt"
    put inspect_bytes "$name.txt" "$name.txt"
    put profile "$name.txt" "$name.txt"
    { grep -ao 'https\?://[^][ )"<>'"'"']*' "$f" || true; } | sort -u | head -n 5 | while read -r u; do
      h=$(printf '%s' "$u" | openssl dgst -sha1 -r | cut -c1-8)
      put_text weburl "page-$h" "$u"
    done
  done
fi

# probe_exchange: a version byte (00 HTTP/1.1, 01 HTTP/2), then a server's answer: nginx's
# pages, chunked and close-delimited bodies, and HTTP/2 frames (SETTINGS, SETTINGS ack, then a
# RST_STREAM HTTP_1_1_REQUIRED as mod_http2 sends it, or a HEADERS :status 200).
h2_settings='\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x04\x01\x00\x00\x00\x00'
printf '\x00HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello alice\n' >"$corpus/probe_exchange/seed-h1-200"
printf '\x00HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 80\r\n\r\n<html><head><title>400 No required SSL certificate was sent</title></head></html>' >"$corpus/probe_exchange/seed-h1-400-nginx"
printf '\x00HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nno ok\r\n0\r\n\r\n' >"$corpus/probe_exchange/seed-h1-403-chunked"
printf '\x00HTTP/1.0 200 OK\r\n\r\nclose-delimited body' >"$corpus/probe_exchange/seed-h10-close"
printf "\\x01$h2_settings"'\x00\x00\x04\x03\x00\x00\x00\x00\x01\x00\x00\x00\x0d' >"$corpus/probe_exchange/seed-h2-reset-http11-required"
printf "\\x01$h2_settings"'\x00\x00\x01\x01\x05\x00\x00\x00\x01\x88' >"$corpus/probe_exchange/seed-h2-200-headers-only"

total=$(du -sb "$corpus" | cut -f1)
echo "make-corpus: $(find "$corpus" -type f | wc -l) files, $total bytes in $corpus"
if ((total > 2 * 1024 * 1024)); then
  echo "make-corpus: the corpus is over 2 MB" >&2
  exit 1
fi
