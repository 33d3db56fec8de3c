#!/usr/bin/env bash
# make_pki.sh OUTDIR
#
# Builds, with plain `openssl` commands only (OpenSSL 3.0), a PSD2 test PKI that shares no code with the
# gateway's own fixture generator (src/fixtures/). The end-to-end tests use it to show that certificates
# made by a mainstream tool are handled the same way as our generated ones. All keys are ECDSA P-256
# (PKCS#8 PEM, mode 0600).
#
# Output files in OUTDIR:
#   root.pem, root.key.pem                   self-signed root CA ("PSD2 Test Root CA")
#   root.crl.pem                             the root's (empty) CRL
#   issuing-ca.pem, issuing-ca.key.pem       issuing CA, CA:TRUE pathlen:0, signed by the root
#   issuing-ca.crl.pem                       issuing CA's CRL (-crldays 7), lists revoked.pem
#   server.pem, server.key.pem               TLS server: SAN DNS:localhost + IP:127.0.0.1, EKU serverAuth
#   server.chain.pem                         server.pem then issuing-ca.pem
#   For each client NAME below: NAME.pem (leaf), NAME.key.pem, NAME.chain.pem (what the client sends:
#   leaf, then its intermediate when it has one):
#     alice              valid PSD2 QWAC: organizationIdentifier PSDDE-BAFIN-424242, QcCompliance,
#                        QcType web, PSD2 roles PSP_AI + PSP_PI, NCA DE-BAFIN; EKU clientAuth + serverAuth
#     revoked            same profile (PSDDE-BAFIN-424243), revoked on issuing-ca.crl.pem
#     expired            same profile (PSDDE-BAFIN-424244), validity entirely in the past
#     server-auth-only   same profile (PSDDE-BAFIN-424245) but EKU serverAuth only
#     no-qc-statements   same subject form (PSDDE-BAFIN-424246) without the qcStatements extension
#     rogue              Alice's subject and QWAC profile issued by rogue-root.pem (another CA);
#                        rogue.chain.pem = rogue.pem then rogue-root.pem
#     self-signed        Alice's subject and QWAC profile, self-signed
#   rogue-root.pem, rogue-root.key.pem       the rogue CA
#   work/                                    openssl ca databases, CSRs and the config used
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
OUT=$1
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
WORK="$OUT/work"
rm -rf "$WORK"
mkdir -p "$WORK/root/newcerts" "$WORK/issuing/newcerts"
umask 077

# GNU date and BSD date spell relative dates differently; openssl ca wants YYYYMMDDHHMMSSZ.
utc_offset_days() {
  if date -u -d "1 day ago" +%Y >/dev/null 2>&1; then
    date -u -d "$1 days" +%Y%m%d%H%M%SZ
  else
    date -u -v"${1}d" +%Y%m%d%H%M%SZ
  fi
}

for ca in root issuing; do
  : >"$WORK/$ca/index.txt"
  echo 'unique_subject = no' >"$WORK/$ca/index.txt.attr"
  echo 1000 >"$WORK/$ca/crlnumber"
done

CNF="$WORK/openssl.cnf"
cat >"$CNF" <<EOF
[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = unused

[ ca_root ]
dir              = $WORK/root
database         = \$dir/index.txt
new_certs_dir    = \$dir/newcerts
crlnumber        = \$dir/crlnumber
# Required by openssl ca even though -rand_serial means it is never read.
serial           = \$dir/serial
certificate      = $OUT/root.pem
private_key      = $OUT/root.key.pem
default_md       = sha256
default_days     = 3650
default_crl_days = 7
policy           = policy_any
preserve         = yes
copy_extensions  = none
crl_extensions   = crl_ext

[ ca_issuing ]
dir              = $WORK/issuing
database         = \$dir/index.txt
new_certs_dir    = \$dir/newcerts
crlnumber        = \$dir/crlnumber
# Required by openssl ca even though -rand_serial means it is never read.
serial           = \$dir/serial
certificate      = $OUT/issuing-ca.pem
private_key      = $OUT/issuing-ca.key.pem
default_md       = sha256
default_days     = 365
default_crl_days = 7
policy           = policy_any
# Keep the request's subject as it is: the default policy would drop organizationIdentifier.
preserve         = yes
copy_extensions  = none
crl_extensions   = crl_ext

.include $HERE/psd2_common.cnf

[ v3_qwac ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth, serverAuth
subjectAltName         = DNS:api.tpp.example
certificatePolicies    = 0.4.0.19495.3.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
1.3.6.1.5.5.7.1.3      = ASN1:SEQUENCE:qc_statements

[ v3_qwac_server_auth_only ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:api.tpp.example
certificatePolicies    = 0.4.0.19495.3.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
1.3.6.1.5.5.7.1.3      = ASN1:SEQUENCE:qc_statements

[ v3_qwac_no_qc ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth, serverAuth
subjectAltName         = DNS:api.tpp.example
certificatePolicies    = 0.4.0.19495.3.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

EOF

# shellcheck source=openssl_steps.sh
source "$HERE/openssl_steps.sh"

tpp_subject() {
  echo "/C=DE/O=$1/organizationIdentifier=$2/CN=api.tpp.example"
}

# issue_client NAME SUBJECT EXTENSIONS [extra openssl ca options...]
issue_client() {
  local name=$1 subject=$2 extensions=$3
  shift 3
  new_key "$OUT/$name.key.pem"
  openssl req -new -config "$CNF" -key "$OUT/$name.key.pem" -subj "$subject" -out "$WORK/$name.csr"
  quiet openssl ca -batch -notext -config "$CNF" -name ca_issuing -rand_serial -preserveDN \
    -extensions "$extensions" -in "$WORK/$name.csr" -out "$OUT/$name.pem" "$@"
  cat "$OUT/$name.pem" "$OUT/issuing-ca.pem" >"$OUT/$name.chain.pem"
}

echo "root CA" >&2
new_key "$OUT/root.key.pem"
openssl req -x509 -new -config "$CNF" -key "$OUT/root.key.pem" -sha256 -days 3650 \
  -subj "/C=DE/O=PSD2 Test Trust/CN=PSD2 Test Root CA" -extensions v3_root -out "$OUT/root.pem"

echo "issuing CA (pathlen 0)" >&2
new_key "$OUT/issuing-ca.key.pem"
openssl req -new -config "$CNF" -key "$OUT/issuing-ca.key.pem" \
  -subj "/C=DE/O=PSD2 Test Trust/CN=PSD2 Test QWAC Issuing CA" -out "$WORK/issuing-ca.csr"
quiet openssl ca -batch -notext -config "$CNF" -name ca_root -rand_serial -preserveDN -extensions v3_issuing \
  -in "$WORK/issuing-ca.csr" -out "$OUT/issuing-ca.pem"

echo "server certificate (localhost, 127.0.0.1)" >&2
new_key "$OUT/server.key.pem"
openssl req -new -config "$CNF" -key "$OUT/server.key.pem" -subj "/C=DE/O=Test Bank/CN=localhost" \
  -out "$WORK/server.csr"
quiet openssl ca -batch -notext -config "$CNF" -name ca_issuing -rand_serial -preserveDN -extensions v3_server \
  -in "$WORK/server.csr" -out "$OUT/server.pem"
cat "$OUT/server.pem" "$OUT/issuing-ca.pem" >"$OUT/server.chain.pem"

echo "client certificates" >&2
ALICE_SUBJECT=$(tpp_subject "Bank of Alice" PSDDE-BAFIN-424242)
issue_client alice "$ALICE_SUBJECT" v3_qwac
issue_client revoked "$(tpp_subject "Revoked TPP" PSDDE-BAFIN-424243)" v3_qwac
issue_client expired "$(tpp_subject "Expired TPP" PSDDE-BAFIN-424244)" v3_qwac \
  -startdate "$(utc_offset_days -30)" -enddate "$(utc_offset_days -1)"
issue_client server-auth-only "$(tpp_subject "Server Auth Only TPP" PSDDE-BAFIN-424245)" v3_qwac_server_auth_only
issue_client no-qc-statements "$(tpp_subject "No QC TPP" PSDDE-BAFIN-424246)" v3_qwac_no_qc

echo "rogue CA and its client (Alice's subject)" >&2
new_key "$OUT/rogue-root.key.pem"
openssl req -x509 -new -config "$CNF" -key "$OUT/rogue-root.key.pem" -sha256 -days 3650 \
  -subj "/C=XX/O=Mallory Bank/CN=Mallory Root CA" -extensions v3_root -out "$OUT/rogue-root.pem"
new_key "$OUT/rogue.key.pem"
openssl req -new -config "$CNF" -key "$OUT/rogue.key.pem" -subj "$ALICE_SUBJECT" -out "$WORK/rogue.csr"
quiet openssl x509 -req -in "$WORK/rogue.csr" -CA "$OUT/rogue-root.pem" -CAkey "$OUT/rogue-root.key.pem" \
  -CAcreateserial -CAserial "$WORK/rogue-root.srl" -sha256 -days 365 \
  -extfile "$CNF" -extensions v3_qwac -out "$OUT/rogue.pem"
cat "$OUT/rogue.pem" "$OUT/rogue-root.pem" >"$OUT/rogue.chain.pem"

echo "self-signed client (Alice's subject)" >&2
new_key "$OUT/self-signed.key.pem"
openssl req -x509 -new -config "$CNF" -key "$OUT/self-signed.key.pem" -sha256 -days 365 \
  -subj "$ALICE_SUBJECT" -extensions v3_qwac -out "$OUT/self-signed.pem"
cp "$OUT/self-signed.pem" "$OUT/self-signed.chain.pem"

echo "revocation and CRLs" >&2
quiet openssl ca -batch -config "$CNF" -name ca_issuing -revoke "$OUT/revoked.pem" -crl_reason keyCompromise
quiet openssl ca -batch -config "$CNF" -name ca_issuing -gencrl -crldays 7 -out "$OUT/issuing-ca.crl.pem"
quiet openssl ca -batch -config "$CNF" -name ca_root -gencrl -crldays 7 -out "$OUT/root.crl.pem"

umask 022
chmod 644 "$OUT"/*.pem
chmod 600 "$OUT"/*.key.pem
echo "done: $OUT" >&2
