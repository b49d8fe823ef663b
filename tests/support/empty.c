/* keeps bf_test_support non-empty */
