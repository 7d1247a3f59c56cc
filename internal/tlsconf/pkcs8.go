package tlsconf

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
)

// decryptPKCS8 opens an "ENCRYPTED PRIVATE KEY" (RFC 5958 EncryptedPrivateKeyInfo) with
// PBES2: PBKDF2 (HMAC-SHA1/224/256/384/512) and AES-CBC, which is what OpenSSL 3 writes
// (`openssl pkcs8 -topk8`, `genpkey -aes256`). The standard library has each piece but
// not the envelope; no module for it is among the ones we may use. Other schemes (PBES1,
// scrypt, 3DES) are refused by name rather than misread.
func decryptPKCS8(der, pass []byte) ([]byte, error) {
	var info struct {
		Algo pkix.AlgorithmIdentifier
		Data []byte
	}
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, fmt.Errorf("encrypted PKCS#8 key: %w", err)
	}
	if !info.Algo.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("encrypted PKCS#8 key: scheme %v is not supported (only PBES2 with PBKDF2 and AES-CBC)", info.Algo.Algorithm)
	}
	var params struct {
		KDF, Enc pkix.AlgorithmIdentifier
	}
	if _, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &params); err != nil {
		return nil, fmt.Errorf("encrypted PKCS#8 key: %w", err)
	}
	if !params.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("encrypted PKCS#8 key: key derivation %v is not supported (only PBKDF2)", params.KDF.Algorithm)
	}
	var kdf struct {
		Salt      []byte
		Iter      int
		KeyLength int                      `asn1:"optional"`
		PRF       pkix.AlgorithmIdentifier `asn1:"optional"`
	}
	if _, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &kdf); err != nil {
		return nil, fmt.Errorf("encrypted PKCS#8 key: %w", err)
	}
	keyLen, ok := aesKeyLen(params.Enc.Algorithm)
	if !ok {
		return nil, fmt.Errorf("encrypted PKCS#8 key: cipher %v is not supported (only AES-CBC)", params.Enc.Algorithm)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.Enc.Parameters.FullBytes, &iv); err != nil || len(iv) != aes.BlockSize {
		return nil, errors.New("encrypted PKCS#8 key: bad AES IV")
	}
	prf := sha1.New
	if len(kdf.PRF.Algorithm) > 0 {
		if prf, ok = hmacHash(kdf.PRF.Algorithm); !ok {
			return nil, fmt.Errorf("encrypted PKCS#8 key: PRF %v is not supported", kdf.PRF.Algorithm)
		}
	}
	// A count from the file bounds the work: OpenSSL writes 2048; refuse absurd ones.
	if kdf.Iter <= 0 || kdf.Iter > maxIter {
		return nil, fmt.Errorf("encrypted PKCS#8 key: iteration count %d out of range", kdf.Iter)
	}
	key, err := pbkdf2.Key(prf, string(pass), kdf.Salt, kdf.Iter, keyLen)
	if err != nil {
		return nil, fmt.Errorf("encrypted PKCS#8 key: %w", err)
	}
	if len(info.Data) == 0 || len(info.Data)%aes.BlockSize != 0 {
		return nil, errBadDecrypt
	}
	block, _ := aes.NewCipher(key)
	out := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, info.Data)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, errBadDecrypt
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			return nil, errBadDecrypt
		}
	}
	return out[:len(out)-pad], nil
}

// maxIter bounds PBKDF2's iteration count (a variable so the fuzz target can lower it).
var maxIter = 10_000_000

var (
	oidPBES2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
)

func aesKeyLen(oid asn1.ObjectIdentifier) (int, bool) {
	switch {
	case oid.Equal(asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}):
		return 16, true
	case oid.Equal(asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}):
		return 24, true
	case oid.Equal(asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}):
		return 32, true
	}
	return 0, false
}

func hmacHash(oid asn1.ObjectIdentifier) (func() hash.Hash, bool) {
	base := asn1.ObjectIdentifier{1, 2, 840, 113549, 2}
	if len(oid) != len(base)+1 || !oid[:len(base)].Equal(base) {
		return nil, false
	}
	switch oid[len(base)] {
	case 7:
		return sha1.New, true
	case 8:
		return sha256.New224, true
	case 9:
		return sha256.New, true
	case 10:
		return sha512.New384, true
	case 11:
		return sha512.New, true
	}
	return nil, false
}
