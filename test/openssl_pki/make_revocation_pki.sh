#!/usr/bin/env bash
# make_revocation_pki.sh OUTDIR CLIENT...
#
# A PSD2 test PKI made with plain `openssl` (OpenSSL 3.0) whose QWACs name their own revocation sources,
# for the OCSP and CRL distribution point tests. Shares no code with the gateway's fixture generator.
# All keys are ECDSA P-256.
#
# Each CLIENT is NAME,STATUS,OCSP_URL,CRL_URL where STATUS is good, revoked (revoked in the issuing CA's
# database and on its CRL) or unindexed (issued outside the CA database, so the OCSP responder does not
# know it), and a URL of `-` leaves that extension out. Every client is a QWAC of Bank of Alice's profile
# with its own organizationIdentifier.
#
# Output files in OUTDIR:
#   root.pem, root.key.pem                      self-signed root CA
#   issuing-ca.pem, issuing-ca.key.pem          issuing CA (CA:TRUE, pathlen:0), signed by the root
#   issuing-ca.crl.pem, issuing-ca.crl.der      the issuing CA's CRL (-crldays 7), revoked clients on it
#   root.crl.pem                                the root's (empty) CRL
#   other-issuing-ca.pem                        the issuing CA's name on another key (the CA before a re-key),
#                                               revoked by the root (superseded)
#   other-issuing-ca.crl.pem                    a CRL bearing the issuing CA's name, signed by that other key
#   server.pem, server.key.pem, server.chain.pem TLS server for localhost / 127.0.0.1
#   responder.pem, responder.key.pem            delegated OCSP responder: EKU OCSPSigning, issued by the CA
#   not-responder.pem, not-responder.key.pem    issued by the CA without OCSPSigning (a wrong signer)
#   rogue-responder.pem, rogue-responder.key.pem self-signed, with OCSPSigning (not issued by the CA)
#   NAME.pem, NAME.key.pem, NAME.chain.pem      each client (chain: leaf, then the issuing CA)
#   index.txt                                   the issuing CA's database, for `openssl ocsp -index`
#   root-index.txt                              the root's database (answers for both issuing CAs)
#
# With ISSUING_OCSP_URL set, both issuing CAs name that OCSP responder (the root's) in authorityInfoAccess.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 OUTDIR [NAME,STATUS,OCSP_URL,CRL_URL]..." >&2
  exit 2
fi
OUT=$1
shift
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
WORK="$OUT/work"
rm -rf "$WORK"
mkdir -p "$WORK/root/newcerts" "$WORK/issuing/newcerts" "$WORK/other/newcerts"
umask 077

for ca in root issuing other; do
  : >"$WORK/$ca/index.txt"
  echo 'unique_subject = no' >"$WORK/$ca/index.txt.attr"
  echo 1000 >"$WORK/$ca/crlnumber"
done

CNF="$WORK/openssl.cnf"
ca_section() {
  cat <<EOF
[ ca_$1 ]
dir              = $WORK/$1
database         = \$dir/index.txt
new_certs_dir    = \$dir/newcerts
crlnumber        = \$dir/crlnumber
serial           = \$dir/serial
certificate      = $2
private_key      = $3
default_md       = sha256
default_days     = 365
default_crl_days = 7
policy           = policy_any
preserve         = yes
copy_extensions  = none
crl_extensions   = crl_ext
EOF
}
{
  cat <<EOF
[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = unused

.include $HERE/psd2_common.cnf

[ v3_responder ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = OCSPSigning
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_not_responder ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_rogue_responder ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = OCSPSigning
subjectKeyIdentifier   = hash

EOF
  ca_section root "$OUT/root.pem" "$OUT/root.key.pem"
  ca_section issuing "$OUT/issuing-ca.pem" "$OUT/issuing-ca.key.pem"
  # Same name as the issuing CA, another key: the CRL of a re-keyed CA.
  ca_section other "$OUT/other-issuing-ca.pem" "$OUT/other-issuing-ca.key.pem"
} >"$CNF"

# shellcheck source=openssl_steps.sh
source "$HERE/openssl_steps.sh"
# sign NAME SUBJECT EXTENSIONS [EXTFILE]: a CSR signed by the issuing CA through its database
sign() {
  local name=$1 subject=$2 extensions=$3 extfile=${4:-}
  new_key "$OUT/$name.key.pem"
  quiet openssl req -new -config "$CNF" -key "$OUT/$name.key.pem" -subj "$subject" -out "$WORK/$name.csr"
  quiet openssl ca -batch -notext -config "$CNF" -name ca_issuing -rand_serial -preserveDN \
    -extensions "$extensions" ${extfile:+-extfile "$extfile"} -in "$WORK/$name.csr" -out "$OUT/$name.pem"
}

ISSUING_SUBJECT="/C=DE/O=PSD2 Revocation Test/CN=PSD2 Revocation Test Issuing CA"
new_key "$OUT/root.key.pem"
quiet openssl req -x509 -new -config "$CNF" -key "$OUT/root.key.pem" -sha256 -days 3650 \
  -subj "/C=DE/O=PSD2 Revocation Test/CN=PSD2 Revocation Test Root CA" -extensions v3_root -out "$OUT/root.pem"
{
  echo "[ v3_issuing_ocsp ]"
  echo "basicConstraints       = critical, CA:TRUE, pathlen:0"
  echo "keyUsage               = critical, keyCertSign, cRLSign"
  echo "subjectKeyIdentifier   = hash"
  echo "authorityKeyIdentifier = keyid:always"
  [[ -n ${ISSUING_OCSP_URL:-} ]] && echo "authorityInfoAccess    = OCSP;URI:$ISSUING_OCSP_URL"
} >"$WORK/issuing.ext"
for ca in issuing-ca other-issuing-ca; do
  new_key "$OUT/$ca.key.pem"
  quiet openssl req -new -config "$CNF" -key "$OUT/$ca.key.pem" -subj "$ISSUING_SUBJECT" -out "$WORK/$ca.csr"
  quiet openssl ca -batch -notext -config "$CNF" -name ca_root -rand_serial -preserveDN \
    -extfile "$WORK/issuing.ext" -extensions v3_issuing_ocsp -in "$WORK/$ca.csr" -out "$OUT/$ca.pem"
done
quiet openssl ca -batch -config "$CNF" -name ca_root -revoke "$OUT/other-issuing-ca.pem" -crl_reason superseded

sign server "/C=DE/O=Test Bank/CN=localhost" v3_server
cat "$OUT/server.pem" "$OUT/issuing-ca.pem" >"$OUT/server.chain.pem"
sign responder "/C=DE/O=PSD2 Revocation Test/CN=OCSP Responder" v3_responder
sign not-responder "/C=DE/O=PSD2 Revocation Test/CN=Not An OCSP Responder" v3_not_responder
new_key "$OUT/rogue-responder.key.pem"
quiet openssl req -x509 -new -config "$CNF" -key "$OUT/rogue-responder.key.pem" -sha256 -days 365 \
  -subj "/C=DE/O=PSD2 Revocation Test/CN=OCSP Responder" -extensions v3_rogue_responder \
  -out "$OUT/rogue-responder.pem"

number=424300
for spec in "$@"; do
  IFS=, read -r name status ocsp crl <<<"$spec"
  number=$((number + 1))
  ext="$WORK/$name.ext"
  {
    echo "[ v3_client ]"
    echo "basicConstraints       = CA:FALSE"
    echo "keyUsage               = critical, digitalSignature"
    echo "extendedKeyUsage       = clientAuth"
    echo "subjectAltName         = DNS:$name.tpp.example"
    echo "certificatePolicies    = 0.4.0.19495.3.1"
    echo "subjectKeyIdentifier   = hash"
    echo "authorityKeyIdentifier = keyid:always"
    [[ $ocsp != - ]] && echo "authorityInfoAccess    = OCSP;URI:$ocsp"
    [[ $crl != - ]] && echo "crlDistributionPoints  = URI:$crl"
    echo "1.3.6.1.5.5.7.1.3      = ASN1:SEQUENCE:qc_statements"
    echo ".include $HERE/psd2_common.cnf"
  } >"$ext"
  subject="/C=DE/O=TPP $name/organizationIdentifier=PSDDE-BAFIN-$number/CN=$name.tpp.example"
  if [[ $status == unindexed ]]; then
    new_key "$OUT/$name.key.pem"
    quiet openssl req -new -config "$CNF" -key "$OUT/$name.key.pem" -subj "$subject" -out "$WORK/$name.csr"
    quiet openssl x509 -req -in "$WORK/$name.csr" -CA "$OUT/issuing-ca.pem" -CAkey "$OUT/issuing-ca.key.pem" \
      -set_serial "0x$(openssl rand -hex 8)" -sha256 -days 365 -extfile "$ext" -extensions v3_client \
      -out "$OUT/$name.pem"
  else
    sign "$name" "$subject" v3_client "$ext"
    [[ $status == revoked ]] &&
      quiet openssl ca -batch -config "$CNF" -name ca_issuing -revoke "$OUT/$name.pem" -crl_reason keyCompromise
  fi
  cat "$OUT/$name.pem" "$OUT/issuing-ca.pem" >"$OUT/$name.chain.pem"
done

quiet openssl ca -batch -config "$CNF" -name ca_issuing -gencrl -crldays 7 -out "$OUT/issuing-ca.crl.pem"
quiet openssl crl -in "$OUT/issuing-ca.crl.pem" -outform DER -out "$OUT/issuing-ca.crl.der"
quiet openssl ca -batch -config "$CNF" -name ca_root -gencrl -crldays 7 -out "$OUT/root.crl.pem"
quiet openssl ca -batch -config "$CNF" -name ca_other -gencrl -crldays 7 -out "$OUT/other-issuing-ca.crl.pem"
cp "$WORK/issuing/index.txt" "$OUT/index.txt"
cp "$WORK/root/index.txt" "$OUT/root-index.txt"

umask 022
chmod 644 "$OUT"/*.pem "$OUT"/*.der "$OUT"/*index.txt
chmod 600 "$OUT"/*.key.pem
echo "done: $OUT" >&2
