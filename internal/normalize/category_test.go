package normalize

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestCategory(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"Drugs > Opioids > Fentanyl", CategorySyntheticOpioid},
		{"Drugs > Opiates > Heroin", CategoryOpioid},
		{"Drugs > Opioids", CategoryOpioid},
		{"Drugs > Prescription > Oxycodone", CategoryOpioid},
		{"Drugs » Stimulants » Cocaine", CategoryCocaine},
		{"Drugs > Stimulants > Speed", CategoryATS},
		{"Drugs > Stimulants > Methamphetamine", CategoryATS},
		{"Drugs > Ecstasy > MDMA", CategoryATS},
		{"Drugs > Stimulants", CategoryATS},
		{"Cannabis & Hash > Buds & Flowers", CategoryCannabis},
		{"Cannabis > Synthetic cannabinoids", CategoryNPS},
		{"Psychedelics > LSD", CategoryPsychedelic},
		{"Psychedelics > 1P-LSD", CategoryNPS},
		{"Dissociatives > Ketamine", CategoryPsychedelic},
		{"Benzos > Xanax", CategorySedative},
		{"Benzos > Etizolam", CategoryNPS},
		{"Benzos", CategorySedative},
		{"Prescription > Viagra", CategoryRx},
		{"Pharmacy", CategoryRx},
		{"Research Chemicals > 3-MMC", CategoryNPS},
		{"RCs / 25I-NBOMe", CategoryNPS},
		{"Chemicals > Precursors > PMK glycidate", CategoryPrecursor},
		{"Fentanyl precursors > 4-ANPP", CategoryPrecursor},
		{"Opioids > Nitazenes > Isotonitazene", CategorySyntheticOpioid},
		{"Opioids > Carfentanil", CategorySyntheticOpioid},
		{"Digital Goods > E-Books", CategoryNonDrug},
		{"Fraud > Fullz", CategoryNonDrug},
		{"Sedatives > GHB/GBL", CategorySedative},
		{"DRUGS/STIMULANTS/COCAÏNE", ""}, // "cocaine" with a diaeresis folds to cocaine
	}
	for _, tt := range tests {
		want := tt.want
		if want == "" {
			want = CategoryCocaine
		}
		got, ok := Category(tt.raw)
		if !ok || got != want {
			t.Errorf("Category(%q) = %q, %v; want %q", tt.raw, got, ok, want)
		}
	}
	for _, raw := range []string{"", "Drugs", "Other", "Drugs > Other > Misc", "Custom listings"} {
		if got, ok := Category(raw); ok {
			t.Errorf("Category(%q) = %q; want unmapped", raw, got)
		}
	}
}

func TestCategoryOf(t *testing.T) {
	tests := []struct{ crumb, title, want string }{
		{"Drugs > Stimulants", "5g Colombian Cocaine 90%", CategoryCocaine},
		{"Drugs > Opioids", "1g China White", CategorySyntheticOpioid},
		{"Drugs > Opioids", "Pain relief special", CategoryOpioid},
		{"Drugs", "28g Amnesia Haze", CategoryCannabis},
		{"Other", "10x Xanax 2mg bars", CategorySedative},
		{"Drugs > Other", "Mystery bag", ""},
		{"Drugs > Cocaine", "Ketamine 5g", CategoryCocaine}, // the breadcrumb names a substance: it wins
		{"", "100 Ecstasy pills Blue Punisher", CategoryATS},
	}
	for _, tt := range tests {
		got, ok := CategoryOf(tt.crumb, tt.title)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("CategoryOf(%q, %q) = %q, %v; want %q", tt.crumb, tt.title, got, ok, tt.want)
		}
	}
}

func TestTaxonomyFile(t *testing.T) {
	tx, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{CategoryATS, CategoryCannabis, CategoryCocaine, CategoryNonDrug, CategoryNPS, CategoryOpioid,
		CategoryPrecursor, CategoryPsychedelic, CategoryRx, CategorySedative, CategorySyntheticOpioid}
	slices.Sort(want)
	if got := tx.Codes(); !slices.Equal(got, want) {
		t.Errorf("codes = %v, want %v", got, want)
	}
	for _, c := range want {
		if tx.Label(c) == "" {
			t.Errorf("code %q has no label", c)
		}
	}
	data, err := os.ReadFile("../../configs/reference/taxonomy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "# ") {
		t.Error("taxonomy.yaml lost its header comment (source and date)")
	}
	bad := []struct{ name, yaml, want string }{
		{"version", "version: 2\ncodes: {a: {label: x}}\n", "version 2"},
		{"unknown code", "version: 1\ncodes: {a: {label: x}}\nrules: [{code: b, words: [x]}]\n", `code "b" is not under codes`},
		{"empty rule", "version: 1\ncodes: {a: {label: x}}\nrules: [{code: a}]\n", "no words or patterns"},
		{"bad pattern", "version: 1\ncodes: {a: {label: x}}\nrules: [{code: a, patterns: ['(']}]\n", "pattern"},
		{"unknown key", "version: 1\ncodes: {a: {label: x}}\nrulez: []\n", "rulez"},
	}
	for _, tt := range bad {
		if _, err := ParseTaxonomy([]byte(tt.yaml)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: ParseTaxonomy error %v; want one containing %q", tt.name, err, tt.want)
		}
	}
	custom, err := ParseTaxonomy([]byte("version: 1\ncodes: {khat: {label: Khat}}\nrules: [{code: khat, words: [khat, qat], patterns: ['\\bcathinone plant']}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := custom.Category("Plants > Qat leaves"); !ok || c != "khat" {
		t.Errorf("custom Category = %q, %v", c, ok)
	}
}

func FuzzCategory(f *testing.F) {
	for _, s := range []string{"Drugs > Opioids > Fentanyl", "Benzos", "\xff>\x00", "RCs / 25I-NBOMe"} {
		f.Add(s, "10x Xanax 2mg")
	}
	tx, err := DefaultTaxonomy()
	if err != nil {
		f.Fatal(err)
	}
	codes := tx.Codes()
	f.Fuzz(func(t *testing.T, crumb, title string) {
		for _, got := range []func() (string, bool){
			func() (string, bool) { return Category(crumb) },
			func() (string, bool) { return CategoryOf(crumb, title) },
		} {
			code, ok := got()
			if ok != (code != "") || (ok && !slices.Contains(codes, code)) {
				t.Fatalf("(%q, %q) -> %q, %v", crumb, title, code, ok)
			}
		}
	})
}
