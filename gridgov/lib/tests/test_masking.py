"""gridgov.lib.masking: contact details masked however they were typed."""

from django.test import SimpleTestCase

from gridgov.lib.masking import fold_digits, mask_contacts, mask_name, mask_phone


class MaskPhoneTests(SimpleTestCase):
    def test_a_mobile_keeps_its_first_three_and_last_four_digits(self):
        self.assertEqual(mask_phone("13812341234"), "138****1234")
        self.assertEqual(mask_phone("138-1234-1234"), "138****1234")

    def test_full_width_and_mixed_digits_are_masked_as_ascii(self):
        self.assertEqual(mask_phone("１３９１２３４５６７８"), "139****5678")
        self.assertEqual(mask_phone("139１２３４5678"), "139****5678")

    def test_other_numbers_show_only_their_last_four_digits(self):
        self.assertEqual(mask_phone("0571-87654321"), "********4321")
        self.assertEqual(mask_phone("123"), "***")

    def test_a_name_keeps_its_first_character(self):
        self.assertEqual(mask_name("张三"), "张*")
        self.assertEqual(mask_name(" Li "), "L*")


class FoldDigitsTests(SimpleTestCase):
    def test_it_keeps_the_length_so_a_match_is_where_it_was_typed(self):
        text = "电话：１３９－１２３４　５６７８，好！"
        folded = fold_digits(text)
        self.assertEqual(len(folded), len(text))
        self.assertEqual(folded, "电话:139-1234 5678,好!")

    def test_masking_changes_only_the_number_not_the_punctuation_around_it(self):
        self.assertEqual(
            mask_contacts("电话：１３９－１２３４　５６７８，好！"), "电话：139****5678，好！"
        )


class MaskContactsTests(SimpleTestCase):
    def test_ascii_forms_as_before(self):
        self.assertEqual(mask_contacts("电话13812341234"), "电话138****1234")
        self.assertEqual(mask_contacts("电话 138 1234 1234。"), "电话 138****1234。")
        self.assertEqual(mask_contacts("+86 138-1234-1234"), "*********1234")
        self.assertEqual(mask_contacts("座机0571-87654321"), "座机********4321")
        self.assertEqual(mask_contacts("证件330106199001011234"), "证件330***********1234")

    def test_full_width_spaced_and_dashed_forms_are_masked_too(self):
        for typed in (
            "１３９１２３４５６７８",
            "１３９　１２３４　５６７８",
            "１３９－１２３４－５６７８",
            "13９1234５678",
            "＋８６ １３９１２３４５６７８",
        ):
            with self.subTest(typed=typed):
                masked = mask_contacts(f"请拨{typed}联系")
                self.assertTrue(masked.startswith("请拨") and masked.endswith("联系"), masked)
                self.assertIn("5678", masked)
                self.assertNotIn("1234", fold_digits(masked))

    def test_a_full_width_id_card_number_is_masked(self):
        self.assertEqual(
            mask_contacts("身份证３３０１０６１９９００１０１１２３Ｘ"), "身份证330***********123X"
        )

    def test_the_reporters_own_name_and_phone_however_typed(self):
        text = "我是张三，电话１３８ １２３４ １２３４，另 138-1234-1234"
        self.assertEqual(
            mask_contacts(text, name="张三", phone="13812341234"),
            "我是张*，电话138****1234，另 138****1234",
        )

    def test_other_numbers_stay(self):
        text = "3号楼2单元，约40户，2026年12月4日，金额１２３元"
        self.assertEqual(mask_contacts(text), text)
