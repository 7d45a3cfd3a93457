package plan

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// signaturePrefix names the signature's algorithm.
const signaturePrefix = "hmac-sha256:"

// Sign sets p's Signature: the HMAC-SHA256, under key, of p's document without the
// signature (compact JSON, so that the indentation of a file does not count).
func (p *Plan) Sign(key []byte) error {
	mac, err := p.mac(key)
	if err != nil {
		return err
	}
	p.Signature = signaturePrefix + hex.EncodeToString(mac)
	return nil
}

// SignedWith reports whether p carries a signature that key made for exactly this plan.
func (p *Plan) SignedWith(key []byte) (bool, error) {
	hexMAC, ok := strings.CutPrefix(p.Signature, signaturePrefix)
	if !ok {
		return false, nil
	}
	got, err := hex.DecodeString(hexMAC)
	if err != nil {
		return false, nil
	}
	want, err := p.mac(key)
	if err != nil {
		return false, err
	}
	return hmac.Equal(got, want), nil
}

func (p *Plan) mac(key []byte) ([]byte, error) {
	unsigned := *p
	unsigned.Signature = ""
	b, err := json.Marshal(&unsigned)
	if err != nil {
		return nil, fmt.Errorf("plan: encode to sign: %w", err)
	}
	m := hmac.New(sha256.New, key)
	m.Write(b)
	return m.Sum(nil), nil
}
