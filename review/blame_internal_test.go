package review

import "testing"

func TestTestSubject(t *testing.T) {
	tests := map[string]string{
		"TestAverage":                           "Average",
		"TestAverage/empty_list":                "Average",
		"tests/test_calc.py::test_average":      "average",
		"tests/test_calc.py::test_average_many": "average",
		"calc::tests::average_of_three":         "average",
		"Test":                                  "",
		"TestX":                                 "",
		"average > handles an empty list":       "average",
	}
	for in, want := range tests {
		if got := testSubject(in); got != want {
			t.Errorf("testSubject(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsTestFile(t *testing.T) {
	for p, want := range map[string]bool{
		"src/calc.js": false, "src/calc.test.js": true, "calc_test.go": true, "test/calc.js": true,
		"pkg/tests/a.py": true, "tests/test_a.py": true, "src/contest.go": false, "src/spec.go": false,
	} {
		if got := isTestFile(p); got != want {
			t.Errorf("isTestFile(%q) = %v", p, got)
		}
	}
}
