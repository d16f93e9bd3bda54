#!/usr/bin/env bash
# Regenerates the test PKI of the TLS tests (tests/integration/native/tls_test.cpp): a test CA
# and certificates that each exercise one rule of RFC 5922 §7. EC P-256 keys, valid 100 years,
# for tests only (the keys are public). Run from this directory; needs the openssl CLI.
#
#   ca.pem            the test CA ("resproxy test CA")
#   resproxy.pem      SAN DNS:resproxy.test, IP:127.0.0.1, IP:::1   (our listener)
#   itsp.pem          SAN DNS:itsp.test                              (the ITSP)
#   itsp-uri.pem      SAN URI:sip:itsp.test only                     (RFC 5922 §7.1 URI form)
#   itsp-cn.pem       no SAN, CN itsp.test                           (CN used only without SAN)
#   itsp-san-cn.pem   SAN DNS:other.test, CN itsp.test               (CN ignored when SAN present)
#   wildcard.pem      SAN DNS:*.test                                 (never matches itsp.test)
#   other.pem         SAN DNS:other.test                             (the wrong name)
#   self-itsp.pem     SAN DNS:itsp.test, self-signed                 (not from the CA)
#   client.pem        SAN DNS:office.test, clientAuth               (our client certificate)
# Each X.pem has its key in X-key.pem.
set -euo pipefail
days=36500
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca-key.pem
openssl req -x509 -new -key ca-key.pem -sha256 -days $days -subj "/CN=resproxy test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.pem

issue() {  # name subject extensions
  local name=$1 subject=$2 ext=$3
  key "$name-key.pem"
  openssl req -new -key "$name-key.pem" -subj "$subject" -out "$name.csr"
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=digitalSignature" $ext > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -sha256 \
    -days $days -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

issue resproxy "/CN=resproxy.test" "subjectAltName=DNS:resproxy.test,IP:127.0.0.1,IP:::1 extendedKeyUsage=serverAuth,clientAuth"
issue itsp "/CN=itsp.test" "subjectAltName=DNS:itsp.test extendedKeyUsage=serverAuth"
issue itsp-uri "/CN=not-this-name" "subjectAltName=URI:sip:itsp.test extendedKeyUsage=serverAuth"
issue itsp-cn "/CN=itsp.test" "extendedKeyUsage=serverAuth"
issue itsp-san-cn "/CN=itsp.test" "subjectAltName=DNS:other.test extendedKeyUsage=serverAuth"
issue wildcard "/CN=*.test" "subjectAltName=DNS:*.test extendedKeyUsage=serverAuth"
issue other "/CN=other.test" "subjectAltName=DNS:other.test extendedKeyUsage=serverAuth"
issue client "/CN=office.test" "subjectAltName=DNS:office.test extendedKeyUsage=clientAuth"

key self-itsp-key.pem
openssl req -x509 -new -key self-itsp-key.pem -sha256 -days $days -subj "/CN=itsp.test" \
  -addext "subjectAltName=DNS:itsp.test" -out self-itsp.pem
rm -f ca.srl
