package normalize

import (
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/event"
)

// BIP-173 and BIP-350 test vectors (bitcoin/bips, "Test vectors").
func TestBech32Vectors(t *testing.T) {
	bech32 := []string{
		"A12UEL5L", "a12uel5l",
		"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
		"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
		"11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
		"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", "?1ezyfcl",
	}
	bech32m := []string{
		"A1LQFN3A", "a1lqfn3a",
		"an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
		"abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
		"11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
		"split1checkupstagehandshakeupstreamerranterredcaperredlc445v", "?1v759aa",
	}
	for _, s := range bech32 {
		if _, _, c, ok := decodeBech32(s); !ok || c != bech32Const {
			t.Errorf("%s: ok %v constant %#x, want bech32", s, ok, c)
		}
	}
	for _, s := range bech32m {
		if _, _, c, ok := decodeBech32(s); !ok || c != bech32mConst {
			t.Errorf("%s: ok %v constant %#x, want bech32m", s, ok, c)
		}
	}
	invalid := []string{
		" 1xj0phk", "\x7f1g6xzxy", "\x801vctc34",
		"an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
		"qyrz8wqd2c9m", "1qyrz8wqd2c9m", "y1b0jsk6g", "lt1igcx5c0", "in1muywd", "mm1crxm3i", "au1s5cgom",
		"M1VUXWEZ", "16plkw9", "1p2gdwpf",
		" 1nwldj5", "\x7f1axkwrx", "\x801eym55h", "pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v", "li1dgmt3",
		"de1lg7wt\xff", "A1G7SGD8", "10a06t8", "1qzzfhee",
	}
	for _, s := range invalid {
		if _, _, c, ok := decodeBech32(s); ok && (c == bech32Const || c == bech32mConst) {
			t.Errorf("%q decoded as valid (constant %#x)", s, c)
		}
	}
}

func TestSegwitVectors(t *testing.T) {
	valid := map[string]string{
		"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4":                                 "0014751e76e8199196d454941c45d1b3a323f1433bd6",
		"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7":             "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
		"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y": "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6",
		"BC1SW50QGDZ25J":                       "6002751e",
		"bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs": "5210751e76e8199196d454941c45d1b3a323",
		"tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy": "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
		"tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c": "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
		"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0": "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
	}
	for addr, script := range valid {
		hrp, version, program, ok := segwitProgram(addr)
		if !ok {
			t.Errorf("%s: not valid", addr)
			continue
		}
		op := byte(0)
		if version > 0 {
			op = 0x50 + byte(version)
		}
		got := hex.EncodeToString(append([]byte{op, byte(len(program))}, program...))
		if got != script {
			t.Errorf("%s: scriptPubKey %s, want %s", addr, got, script)
		}
		a, found := CryptoAddress(addr)
		if wantFound := hrp == "bc"; found != wantFound || (found && a != (event.CryptoAddress{Chain: ChainBitcoin, Address: strings.ToLower(addr)})) {
			t.Errorf("CryptoAddress(%s) = %+v, %v; want found %v (mainnet only)", addr, a, found, wantFound)
		}
	}
	invalid := []string{
		"tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",
		"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
		"tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
		"BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
		"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
		"tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
		"bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
		"BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
		"bc1pw5dgrnzv",
		"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
		"BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
		"tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
		"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
		"tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
		"bc1gmk9yu",
		// BIP-173 addresses that BIP-350 made invalid (v1+ with a bech32 checksum).
		"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
		"BC1SW50QA3JX3S",
		"bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj",
	}
	for _, addr := range invalid {
		if hrp, _, _, ok := segwitProgram(addr); ok && (hrp == "bc" || hrp == "tb") {
			t.Errorf("%s: valid, want invalid", addr)
		}
		if got := CryptoAddresses("pay to " + addr + " now"); len(got) != 0 {
			t.Errorf("CryptoAddresses found %+v in invalid %s", got, addr)
		}
	}
}

// EIP-55 test vectors (ethereum/ERCs, erc-55.md).
func TestEIP55(t *testing.T) {
	for _, addr := range []string{
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
		"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
		"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
		"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
	} {
		if got := eip55(strings.ToLower(addr[2:])); got != addr {
			t.Errorf("eip55(%s) = %s", strings.ToLower(addr), got)
		}
		for _, in := range []string{addr, strings.ToLower(addr), "0x" + strings.ToUpper(addr[2:])} {
			a, ok := CryptoAddress(in)
			if !ok || a != (event.CryptoAddress{Chain: ChainEthereum, Address: addr}) {
				t.Errorf("CryptoAddress(%s) = %+v, %v; want %s", in, a, ok, addr)
			}
		}
		// One letter's case flipped breaks the checksum.
		b := []byte(addr)
		for i := 2; i < len(b); i++ {
			if b[i] >= 'a' && b[i] <= 'f' {
				b[i] -= 'a' - 'A'
				break
			}
		}
		if a, ok := CryptoAddress(string(b)); ok {
			t.Errorf("CryptoAddress(%s) = %+v; want bad checksum", b, a)
		}
	}
}

func TestBase58Addresses(t *testing.T) {
	valid := []event.CryptoAddress{
		{Chain: ChainBitcoin, Address: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"}, // genesis block coinbase
		{Chain: ChainBitcoin, Address: "1H36XJJRdzbTJ8yqcR6HBvSTuJJ5dvf5wC"},
		{Chain: ChainBitcoin, Address: "3CKnc9a1da7Nnh3SEzvVZe7LfkBq2pYTM2"},
		{Chain: ChainLitecoin, Address: "Lg3PX8wRWmApFCoCMAsPF5P9dPHYQHEWKW"},
		{Chain: ChainLitecoin, Address: "LTuoeY6RBHV3n3cfhXVVTbJbxzxnXs9ofm"},
		{Chain: ChainLitecoin, Address: "MGEW4aba3tnrVtVhGcmoqqHaLt5ymPSLPi"},
		{Chain: ChainLitecoin, Address: "ltc1qxtm55gultqzhqzl2p3ks50hg2478y3hehuj6dz"},
		{Chain: ChainBitcoin, Address: "bc1qpfa829hg70yhjw7sg8t95vjtz7gg38k3kfm3ny"},
	}
	for _, want := range valid {
		if a, ok := CryptoAddress(want.Address); !ok || a != want {
			t.Errorf("CryptoAddress(%s) = %+v, %v; want %+v", want.Address, a, ok, want)
		}
	}
	for _, s := range []string{
		"1BvBMSEYstWetqTFn5Au4m4GF07xJaNVN2", // 0 is not base58
		"3CKnc9a1da7Nnh3SEzvVZe7LfkBq2IYTM2", // I is not base58
		"bc1qpfa829hg70yhjw7sg8t95vjtz7gg38k3kf03ny",
		"LgfapHEPhZbdRF9pMd5WPT35hFXcZS1USrW",
		"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", // last character changed
		"mwZ3pMPQT22i5FTTKz4f1qenmHtncVQqCV", // testnet
		"tb1qdh780ud5vtn00327z7qzhjd9nv5fm8qu6qkg2d",
	} {
		if a, ok := CryptoAddress(s); ok {
			t.Errorf("CryptoAddress(%s) = %+v; want invalid", s, a)
		}
	}
	// A "3…" address is Litecoin's too: the text says which.
	got := CryptoAddresses("LTC (legacy P2SH): 3CKnc9a1da7Nnh3SEzvVZe7LfkBq2pYTM2")
	if len(got) != 1 || got[0].Chain != ChainLitecoin {
		t.Errorf("3-address after LTC = %+v", got)
	}
}

// Monero vectors: mrtnetwork/blockchain_utils test/monero/test_vector.dart
// (primary, integrated and subaddresses of one wallet) and Bisq's Monero
// asset test.
func TestMonero(t *testing.T) {
	tests := []struct {
		addr, kind, spend, paymentID string
	}{
		{"49Xgwx3RfyV3ZMEVyrUNuUMzgQ1WHjkWL5T6Xk7QaTszggbtPbRPEkZQau9yACYEmUCHPNrU2MBdnJf4s4xLK5AyLDP5ucd", "standard", "d0a42991d6f8640f4aae2bd58e509f7d848a3daea4fce11a9ab57f925eef4ded", ""},
		{"4KEMxkrvHF13ZMEVyrUNuUMzgQ1WHjkWL5T6Xk7QaTszggbtPbRPEkZQau9yACYEmUCHPNrU2MBdnJf4s4xLK5AyVTr66Q8LFefPwwfA1t", "integrated", "d0a42991d6f8640f4aae2bd58e509f7d848a3daea4fce11a9ab57f925eef4ded", "2b1a3c54591708cb"},
		{"85cqdW5fHGvUQzGXzrRUHf6P6AJjJrYxa25v351wNJCrS3p1g8wL1gk35HjxyQGGJPY3SygtnFxKjHtVcA7rAM1JBHukQod", "subaddress", "", ""},
		{"8AMPLCTDfj1d8KNrVV9ijDS6ES3b7d7w9fdZvQDec9ZDTNdNZTQFn6G4v56m1jV39J444Yk9PoYa1aCckko5Ld58P4jnroM", "subaddress", "", ""},
		{"86iQTnEqQ9mXJFvBvbY3KU5do5Jh2NCkpTcZsw3TMZ6oKNJhELvAreZFQ1p8EknRRTKPp2vg9fJvy47Q4ARVChjLMuUAFQJ", "subaddress", "", ""},
		{"42z3MVZMRgE72dPA89MtCD6tYeWke8cV2B3YPYg1pe5x9X7VVqee6MWhjPrjCMiUFwejWkh8KL6MpN8cwX7B5WuZAxw2YbQ", "standard", "23e98445b5dfe3240a15ca5dfd00f62334d2eef0e4a94d3c0c4c32e08323cb32", ""},
		{"4BUqMSeJfNQGudzEJNvzQ2LXh4tbUdW4YCM7mq55edxBT7t1297vwCMZSnJwGvEKEKbH8hGmhZZAGhdHbp2te6AA38ZMi4knaCKLprMPni", "integrated", "041e74983374c95f1ae1be43916e3374c1d5efc1e049b143d69cc3d4856c189c", "bc7ce989aa900caf"},
	}
	for _, tt := range tests {
		a, ok := DecodeMonero(tt.addr)
		if !ok || a.Kind != tt.kind || (tt.spend != "" && a.SpendKey != tt.spend) || a.PaymentID != tt.paymentID {
			t.Errorf("DecodeMonero(%s) = %+v, %v; want %s spend %s payment id %q", tt.addr, a, ok, tt.kind, tt.spend, tt.paymentID)
		}
		if c, ok := CryptoAddress(tt.addr); !ok || c != (event.CryptoAddress{Chain: ChainMonero, Address: tt.addr}) {
			t.Errorf("CryptoAddress(%s) = %+v, %v", tt.addr, c, ok)
		}
		// Any one character changed fails the checksum or the decoding.
		for _, i := range []int{1, 50, len(tt.addr) - 1} {
			b := []byte(tt.addr)
			if b[i] == 'z' {
				b[i] = 'y'
			} else {
				b[i] = 'z'
			}
			if _, ok := DecodeMonero(string(b)); ok {
				t.Errorf("DecodeMonero accepted %s", b)
			}
		}
	}
	// A testnet address (prefix 53) is not returned.
	if a, ok := CryptoAddress("9wviCeWe2D8XS82k2ovp5EUYLzBt9pYNW2LXUFsZiv8S3Mt21FZ5qQaAroko1enzw3eGr9qC7X1D7Geoo2RrAotYPwq9Gm8"); ok {
		t.Errorf("testnet address accepted: %+v", a)
	}
}

func TestCryptoAddressesInText(t *testing.T) {
	text := `Hi, send the payment to my BTC: bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 (segwit) or old style
1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa. XMR preferred!!
49Xgwx3RfyV3ZMEVyrUNuUMzgQ1WHjkWL5T6Xk7QaTszggbtPbRPEkZQau9yACYEmUCHPNrU2MBdnJf4s4xLK5AyLDP5ucd
ETH/USDT: 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed, litecoin LTuoeY6RBHV3n3cfhXVVTbJbxzxnXs9ofm.
Again: BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4 and a typo 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb,
tx 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00 and 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`
	want := []event.CryptoAddress{
		{Chain: ChainBitcoin, Address: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
		{Chain: ChainBitcoin, Address: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
		{Chain: ChainMonero, Address: "49Xgwx3RfyV3ZMEVyrUNuUMzgQ1WHjkWL5T6Xk7QaTszggbtPbRPEkZQau9yACYEmUCHPNrU2MBdnJf4s4xLK5AyLDP5ucd"},
		{Chain: ChainEthereum, Address: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
		{Chain: ChainLitecoin, Address: "LTuoeY6RBHV3n3cfhXVVTbJbxzxnXs9ofm"},
	}
	if got := CryptoAddresses(text); !reflect.DeepEqual(got, want) {
		t.Errorf("CryptoAddresses =\n%+v\nwant\n%+v", got, want)
	}
	if got := CryptoAddresses(""); got != nil {
		t.Errorf("CryptoAddresses(\"\") = %+v", got)
	}
}

func FuzzCryptoAddresses(f *testing.F) {
	for _, s := range []string{
		"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
		"49Xgwx3RfyV3ZMEVyrUNuUMzgQ1WHjkWL5T6Xk7QaTszggbtPbRPEkZQau9yACYEmUCHPNrU2MBdnJf4s4xLK5AyLDP5ucd",
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "ltc1qxtm55gultqzhqzl2p3ks50hg2478y3hehuj6dz",
		"4zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
		"bc1" + strings.Repeat("q", 87), "1111111111111111111111111111111",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := CryptoAddresses(text)
		seen := map[event.CryptoAddress]bool{}
		for _, a := range got {
			if seen[a] {
				t.Fatalf("duplicate %+v", a)
			}
			seen[a] = true
			if !strings.Contains(strings.ToLower(text), strings.ToLower(a.Address)) {
				t.Fatalf("%+v is not in the text", a)
			}
			// Every address returned checks again on its own.
			if again, ok := CryptoAddress(a.Address); !ok || again.Address != a.Address {
				t.Fatalf("%+v does not check alone: %+v %v", a, again, ok)
			}
		}
		decodeBase58(text)
		decodeMoneroBase58(text)
		decodeBech32(text)
	})
}
