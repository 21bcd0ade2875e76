package normalize

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/bits"
	"strings"

	"golang.org/x/crypto/sha3"

	"github.com/counternet/counternet/internal/event"
)

// Chains of event.CryptoAddress.
const (
	ChainBitcoin  = "btc"
	ChainLitecoin = "ltc"
	ChainMonero   = "xmr"
	ChainEthereum = "eth"
)

// Bounds of CryptoAddresses: the text it scans and the addresses it returns.
const (
	maxScanText   = 1 << 20
	maxAddresses  = 256
	ltcContextLen = 48
)

const b58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// CryptoAddresses finds the cryptocurrency addresses in text and returns
// the valid ones, each with its chain, in the order they first appear,
// without duplicates (at most 256, from the first MiB of text):
//
//   - Bitcoin: base58check P2PKH ("1…", version 0) and P2SH ("3…", version
//     5) with their double-SHA-256 checksum; segwit "bc1…" in bech32
//     (BIP-173, witness version 0, 20- or 32-byte program) or bech32m
//     (BIP-350, versions 1-16), returned in lower case.
//   - Litecoin: base58check "L…" (version 48) and "M…" (version 50);
//     segwit "ltc1…" as for Bitcoin. A "3…" address is version 5 on both
//     chains: it is reported as ltc only when "ltc" or "litecoin" is
//     written just before it, else as btc.
//   - Monero: mainnet standard (prefix 18, 95 characters), subaddress
//     (prefix 42, 95) and integrated (prefix 19, 106) addresses in
//     Monero's block base58, with the Keccak-256 checksum.
//   - Ethereum: "0x" and 40 hex digits; mixed case must pass the EIP-55
//     checksum, all-lower or all-upper case has none to check. Returned
//     in EIP-55 form.
//
// Testnet addresses are not returned; a candidate failing its checksum is
// dropped.
func CryptoAddresses(text string) []event.CryptoAddress {
	if len(text) > maxScanText {
		text = cut(text, maxScanText)
	}
	var out []event.CryptoAddress
	var seen map[event.CryptoAddress]bool
	// Candidates are maximal runs of ASCII letters, digits and '_' (the
	// words of a regexp \b), so an address glued to other word characters
	// is not taken.
	for i := 0; i < len(text); {
		if !isAddrByte(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isAddrByte(text[j]) {
			j++
		}
		a, ok := candidate(text[i:j], text[max(0, i-ltcContextLen):i])
		i = j
		if !ok || seen[a] {
			continue
		}
		if seen == nil {
			seen = map[event.CryptoAddress]bool{}
		}
		seen[a] = true
		out = append(out, a)
		if len(out) == maxAddresses {
			break
		}
	}
	return out
}

func isAddrByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// candidate checks one word of text as an address; before is the text
// just before it.
func candidate(w, before string) (event.CryptoAddress, bool) {
	switch {
	case len(w) >= 26 && len(w) <= 35 && strings.IndexByte("13LM", w[0]) >= 0:
		if a, ok := base58Address(w, before); ok {
			return a, true
		}
	case (len(w) == 95 || len(w) == 106) && (w[0] == '4' || w[0] == '8'):
		return moneroAddress(w)
	case len(w) == 42 && w[0] == '0' && w[1] == 'x':
		for k := 2; k < len(w); k++ {
			if !isHex(rune(w[k])) {
				return event.CryptoAddress{}, false
			}
		}
		return ethAddress(w)
	}
	if len(w) >= 14 && len(w) <= 90 && (hasPrefixFold(w, "bc1") || hasPrefixFold(w, "ltc1")) {
		return segwitAddress(w)
	}
	return event.CryptoAddress{}, false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// CryptoAddress checks one address and returns it with its chain, as
// CryptoAddresses would find it alone; ok is false when it is not a valid
// mainnet address.
func CryptoAddress(s string) (event.CryptoAddress, bool) {
	s = strings.TrimSpace(s)
	got := CryptoAddresses(s)
	if len(got) != 1 || !strings.EqualFold(got[0].Address, s) {
		return event.CryptoAddress{}, false
	}
	return got[0], true
}

// decodeBase58 decodes Bitcoin-style base58 (leading '1's are zero bytes).
func decodeBase58(s string) ([]byte, bool) {
	if len(s) > 64 {
		return nil, false
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	// Big-endian base-256 accumulator filling buf from the end: 64 base58
	// digits need at most 47 bytes.
	var buf [48]byte
	start := len(buf)
	for i := 0; i < len(s); i++ {
		d := b58Index(s[i])
		if d < 0 {
			return nil, false
		}
		carry := d
		for j := len(buf) - 1; j >= start; j-- {
			carry += int(buf[j]) * 58
			buf[j] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			start--
			buf[start] = byte(carry)
			carry >>= 8
		}
	}
	for start < len(buf) && buf[start] == 0 {
		start++
	}
	out := make([]byte, zeros+len(buf)-start)
	copy(out[zeros:], buf[start:])
	return out, true
}

// b58Digits maps a byte to its base58 value, -1 for bytes outside the
// alphabet.
var b58Digits = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(b58); i++ {
		t[b58[i]] = int8(i)
	}
	return t
}()

func b58Index(c byte) int { return int(b58Digits[c]) }

func doubleSHA256(b []byte) []byte {
	h := sha256.Sum256(b)
	h = sha256.Sum256(h[:])
	return h[:]
}

func base58Address(s, before string) (event.CryptoAddress, bool) {
	raw, ok := decodeBase58(s)
	if !ok || len(raw) != 25 {
		return event.CryptoAddress{}, false
	}
	if !bytes.Equal(doubleSHA256(raw[:21])[:4], raw[21:]) {
		return event.CryptoAddress{}, false
	}
	var chain string
	switch raw[0] {
	case 0x00:
		chain = ChainBitcoin
	case 0x05:
		chain = ChainBitcoin
		b := strings.ToLower(before)
		if strings.Contains(b, "ltc") || strings.Contains(b, "litecoin") {
			chain = ChainLitecoin
		}
	case 0x30, 0x32:
		chain = ChainLitecoin
	default:
		return event.CryptoAddress{}, false
	}
	return event.CryptoAddress{Chain: chain, Address: s}, true
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

const (
	bech32Const  = 1
	bech32mConst = 0x2bc830a3
)

func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := 0; i < 5; i++ {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// decodeBech32 checks a bech32 or bech32m string and returns its human-
// readable part, data (without checksum) and checksum constant.
func decodeBech32(s string) (hrp string, data []byte, constant uint32, ok bool) {
	if len(s) > 90 || len(s) < 8 {
		return "", nil, 0, false
	}
	lower := strings.ToLower(s)
	if lower != s && strings.ToUpper(s) != s {
		return "", nil, 0, false // mixed case
	}
	pos := strings.LastIndexByte(lower, '1')
	if pos < 1 || pos+7 > len(lower) {
		return "", nil, 0, false
	}
	hrp = lower[:pos]
	for i := 0; i < len(hrp); i++ {
		if hrp[i] < 33 || hrp[i] > 126 {
			return "", nil, 0, false
		}
	}
	data = make([]byte, 0, len(lower)-pos-1)
	for i := pos + 1; i < len(lower); i++ {
		d := strings.IndexByte(bech32Charset, lower[i])
		if d < 0 {
			return "", nil, 0, false
		}
		data = append(data, byte(d))
	}
	values := make([]byte, 0, 2*len(hrp)+1+len(data))
	for i := 0; i < len(hrp); i++ {
		values = append(values, hrp[i]>>5)
	}
	values = append(values, 0)
	for i := 0; i < len(hrp); i++ {
		values = append(values, hrp[i]&31)
	}
	values = append(values, data...)
	return hrp, data[:len(data)-6], bech32Polymod(values), true
}

// convertBits regroups 5-bit groups into bytes without padding, as
// BIP-173 requires for witness programs.
func convertBits(data []byte) ([]byte, bool) {
	acc, nbits := 0, 0
	out := make([]byte, 0, len(data)*5/8)
	for _, v := range data {
		acc = acc<<5 | int(v)
		nbits += 5
		for nbits >= 8 {
			nbits -= 8
			out = append(out, byte(acc>>nbits))
		}
		acc &= 1<<nbits - 1
	}
	if nbits >= 5 || acc != 0 {
		return nil, false
	}
	return out, true
}

// segwitProgram checks a segwit address for hrp ("bc", "ltc") by the rules
// of BIP-173 and BIP-350 and returns its witness version and program.
func segwitProgram(s string) (hrp string, version int, program []byte, ok bool) {
	hrp, data, constant, ok := decodeBech32(s)
	if !ok || len(data) < 1 || data[0] > 16 {
		return "", 0, nil, false
	}
	version = int(data[0])
	switch {
	case version == 0 && constant != bech32Const:
		return "", 0, nil, false
	case version > 0 && constant != bech32mConst:
		return "", 0, nil, false
	}
	program, ok = convertBits(data[1:])
	if !ok || len(program) < 2 || len(program) > 40 {
		return "", 0, nil, false
	}
	if version == 0 && len(program) != 20 && len(program) != 32 {
		return "", 0, nil, false
	}
	return hrp, version, program, true
}

func segwitAddress(s string) (event.CryptoAddress, bool) {
	hrp, _, _, ok := segwitProgram(s)
	if !ok {
		return event.CryptoAddress{}, false
	}
	switch hrp {
	case "bc":
		return event.CryptoAddress{Chain: ChainBitcoin, Address: strings.ToLower(s)}, true
	case "ltc":
		return event.CryptoAddress{Chain: ChainLitecoin, Address: strings.ToLower(s)}, true
	}
	return event.CryptoAddress{}, false
}

// moneroBlockLen maps the encoded length of a final Monero base58 block to
// the bytes it holds; -1 where no block has that length.
var moneroBlockLen = [12]int{0, -1, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8}

// decodeMoneroBase58 decodes Monero's base58: 8-byte blocks encoded as 11
// characters each, the last block shorter.
func decodeMoneroBase58(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s)*8/11+8)
	for len(s) > 0 {
		n := min(11, len(s))
		size := moneroBlockLen[n]
		if size < 0 {
			return nil, false
		}
		var v uint64
		for i := 0; i < n; i++ {
			d := b58Index(s[i])
			if d < 0 {
				return nil, false
			}
			hi, lo := bits.Mul64(v, 58)
			if hi != 0 {
				return nil, false
			}
			lo, carry := bits.Add64(lo, uint64(d), 0)
			if carry != 0 {
				return nil, false
			}
			v = lo
		}
		if size < 8 && v>>(8*size) != 0 {
			return nil, false
		}
		for i := size - 1; i >= 0; i-- {
			out = append(out, byte(v>>(8*i)))
		}
		s = s[n:]
	}
	return out, true
}

// Monero mainnet address prefixes.
const (
	moneroStandard   = 18
	moneroIntegrated = 19
	moneroSubaddress = 42
)

// MoneroAddress is a decoded Monero address.
type MoneroAddress struct {
	// Kind is "standard", "subaddress" or "integrated".
	Kind string
	// SpendKey and ViewKey are the public keys, hex.
	SpendKey, ViewKey string
	// PaymentID is the 8-byte payment id of an integrated address, hex.
	PaymentID string
}

// DecodeMonero checks a mainnet Monero address (prefix, length and
// Keccak-256 checksum) and returns its parts.
func DecodeMonero(s string) (MoneroAddress, bool) {
	if len(s) != 95 && len(s) != 106 {
		return MoneroAddress{}, false
	}
	raw, ok := decodeMoneroBase58(s)
	if !ok || len(raw) < 69 {
		return MoneroAddress{}, false
	}
	body, sum := raw[:len(raw)-4], raw[len(raw)-4:]
	h := sha3.NewLegacyKeccak256()
	h.Write(body)
	if !bytes.Equal(h.Sum(nil)[:4], sum) {
		return MoneroAddress{}, false
	}
	var a MoneroAddress
	switch {
	case body[0] == moneroStandard && len(raw) == 69:
		a.Kind = "standard"
	case body[0] == moneroSubaddress && len(raw) == 69:
		a.Kind = "subaddress"
	case body[0] == moneroIntegrated && len(raw) == 77:
		a.Kind = "integrated"
		a.PaymentID = hex.EncodeToString(body[65:73])
	default:
		return MoneroAddress{}, false
	}
	a.SpendKey, a.ViewKey = hex.EncodeToString(body[1:33]), hex.EncodeToString(body[33:65])
	return a, true
}

func moneroAddress(s string) (event.CryptoAddress, bool) {
	if _, ok := DecodeMonero(s); !ok {
		return event.CryptoAddress{}, false
	}
	return event.CryptoAddress{Chain: ChainMonero, Address: s}, true
}

// eip55 returns the EIP-55 mixed-case form of 40 lower-case hex digits.
func eip55(lowerHex string) string {
	h := sha3.NewLegacyKeccak256()
	h.Write([]byte(lowerHex))
	sum := h.Sum(nil)
	out := []byte(lowerHex)
	for i, c := range out {
		if c < 'a' {
			continue
		}
		nibble := sum[i/2]
		if i%2 == 0 {
			nibble >>= 4
		}
		if nibble&0xf >= 8 {
			out[i] = c - 'a' + 'A'
		}
	}
	return "0x" + string(out)
}

func ethAddress(s string) (event.CryptoAddress, bool) {
	digits := s[2:]
	lower := strings.ToLower(digits)
	want := eip55(lower)
	if digits != lower && digits != strings.ToUpper(digits) && want[2:] != digits {
		return event.CryptoAddress{}, false
	}
	return event.CryptoAddress{Chain: ChainEthereum, Address: want}, true
}
