package export

import (
	"strings"
	"text/template"
)

// requestMD renders request.md: sections numbered from 1, in the order a
// letter of request (or the EIO's Annex A) takes them.
var requestMD = template.Must(template.New("request").Funcs(template.FuncMap{
	"upper": strings.ToUpper,
	"inc":   func(i int) int { return i + 1 },
	"day":   longDate,
	"cap": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
}).Parse(`# {{.Notice}}

**{{.Kind}}**

Form: {{.Form}}

| | |
| --- | --- |
| Date | {{.Date}} |
| Case reference | {{.CaseReference}}{{if .CaseTitle}} — {{.CaseTitle}}{{end}} |
| Confidentiality | {{.Confidentiality.TLP}}; not to be disclosed to the persons concerned |
| Urgency | {{if .TimeLimits.Urgent}}Urgent: {{.TimeLimits.Urgency}}{{else}}Not urgent{{end}} |

## 1. Authorities

### 1.1 Issuing judicial authority

{{.IssuingAuthority.Kind}}: {{.IssuingAuthority.Name}}; officer: {{.IssuingAuthority.Officer}}; address: {{.IssuingAuthority.Address}}; contact: {{.IssuingAuthority.Contact}}

### 1.2 Investigating police unit

{{.RequestingAuthority.Agency}}, {{.RequestingAuthority.CountryName}}{{if .RequestingAuthority.Contact}}; contact: {{.RequestingAuthority.Contact}}{{end}}{{if .RequestingAuthority.Officer}}; officer: {{.RequestingAuthority.Officer}}{{end}}

### 1.3 Requested state and authority

{{cap .AddressedAuthority.CountryName}}: {{.AddressedAuthority.CentralAuthority}}. Police counterpart: {{.AddressedAuthority.Agency}}{{if .AddressedAuthority.Contact}} ({{.AddressedAuthority.Contact}}){{end}}.

## 2. Legal basis
{{range $i, $b := .LegalBases}}
### 2.{{inc $i}} {{$b.Instrument}}{{if $b.Primary}} (instrument of this request){{end}}

- Provisions: {{$b.Provisions}}
- Use in this request: {{$b.Use}}
- Why it applies: {{$b.Why}}
- Source: {{$b.Sources}}{{range $b.Unverified}}
- Not verified: {{.}}{{end}}{{if $b.Gap}}
- To complete: the reference data cannot name this treaty.{{end}}
{{end}}
Transmission of the annexed intelligence package: {{.LegalBasis}}. Purpose: {{.Purpose}}

## 3. Offences

{{range $i, $o := .Offences}}{{inc $i}}. {{$o.Description}}. Provision: {{$o.Provision}}.
{{end}}
Maximum penalty: {{.MaxPenalty}}

## 4. Statement of facts

{{range .Facts}}{{.}}

{{end}}{{if .Examples}}Examples of the listings (each rests on a captured page, named by its SHA-256):

{{range $i, $e := .Examples}}{{inc $i}}. “{{if $e.Title}}{{$e.Title}}{{else}}{{$e.Category}}{{end}}”{{if $e.Quantity}}, {{$e.Quantity}} {{$e.Unit}}{{end}}{{if $e.Price}}, {{$e.Price}} {{$e.Currency}}{{end}}, offered by {{$e.Vendor}} on {{$e.Market}}, seen from {{day $e.FirstSeen}} to {{day $e.LastSeen}} (listing {{$e.ListingID}}; page SHA-256 ` + "`{{$e.CaptureSHA256}}`" + `)
{{end}}{{end}}
## 5. Assistance requested
{{range $i, $s := .DataSought}}
### 5.{{inc $i}} {{$s.What}}

- Held by: {{$s.WhereHeld}}
- Link with the facts: {{$s.Relevance}}
- {{if $s.Preserve}}To be preserved at once, then disclosed.{{else}}To be disclosed.{{end}}{{if $s.Identifiers}}
- Identifiers:{{range $s.Identifiers}}
  - {{.}}{{end}}{{end}}
{{end}}{{if .DataHolders}}
Transactions that reach the deposit addresses (also in flows.csv):

| Service | Deposit address | Transaction | BTC | Block time (UTC) | Hops | Vendor |
| --- | --- | --- | --- | --- | --- | --- |
{{range $h := .DataHolders}}{{range $d := .Deposits}}{{range .Transactions}}| {{$h.Service}} | ` + "`{{$d.Address}}`" + ` | ` + "`{{.TxID}}`" + ` | {{.AmountBTC}} | {{.BlockTime}} | {{.Hops}} | {{.Vendor}} |
{{end}}{{end}}{{end}}{{end}}{{if .Untraced}}
Addresses not traced: {{.UntracedNote}}
{{range .Untraced}}
- ` + "`{{.Address}}`" + `{{end}}
{{end}}
## 6. Dual criminality

{{.DualCriminality}}

## 7. Urgency and time limits

{{.TimeLimits.Urgency}} {{.TimeLimits.Note}}

## 8. Confidentiality

{{.Confidentiality.TLP}}. {{.Confidentiality.Handling}}

## 9. Procedure to follow
{{range $i, $p := .Procedure}}
{{inc $i}}. {{$p}}{{end}}

## 10. Assurances: use of the data, data protection, human rights
{{range $i, $a := .Assurances}}
{{inc $i}}. {{$a}}{{end}}

## 11. Evidence
{{range .Evidence}}
{{.}}
{{end}}
## 12. Language and contact

{{.Language}}

{{.Contact}}

## 13. Annexes

| File | SHA-256 | Bytes |
| --- | --- | --- |
{{range .Annexes}}| {{.Path}} | ` + "`{{.SHA256}}`" + ` | {{.Size}} |
{{end}}
## 14. Signature of the issuing authority

Name: {{.Signature.Name}}

Function: {{.Signature.Function}}

Place and date: {{.Signature.Place}}, {{.Signature.Date}}

---

{{.Notice}}
`))
