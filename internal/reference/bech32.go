package reference

import "strings"

// validAgeRecipient reports whether s is an age X25519 recipient: the
// bech32 encoding (BIP 173) with human-readable part "age" of a 32-byte
// key, checksum included.
func validAgeRecipient(s string) bool {
	if strings.ToLower(s) != s || !strings.HasPrefix(s, "age1") {
		return false
	}
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	data := s[len("age1"):]
	if len(data) < 6 {
		return false
	}
	values := make([]byte, len(data))
	for i := range len(data) {
		v := strings.IndexByte(charset, data[i])
		if v < 0 {
			return false
		}
		values[i] = byte(v)
	}
	hrp := "age"
	var expanded []byte
	for i := range len(hrp) {
		expanded = append(expanded, hrp[i]>>5)
	}
	expanded = append(expanded, 0)
	for i := range len(hrp) {
		expanded = append(expanded, hrp[i]&31)
	}
	if bech32Polymod(append(expanded, values...)) != 1 {
		return false
	}
	// 5-bit groups without the 6 checksum groups must carry 32 bytes.
	bits := (len(values) - 6) * 5
	return bits >= 256 && bits-256 < 5
}

func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := range 5 {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}
