// Unit labels of table headers (units.js), both locales, kept apart from the pages' dictionaries and merged by i18n.js.
export const UNIT_STRINGS = {
  "zh-CN": {
    "unit.header": "{header}（{unit}）",
    "unit.label.currency": "元",
    "unit.label.percent": "%",
    "unit.label.pp": "百分点",
    "unit.label.days": "天",
  },
  en: {
    "unit.header": "{header} ({unit})",
    "unit.label.currency": "currency",
    "unit.label.percent": "%",
    "unit.label.pp": "pp",
    "unit.label.days": "days",
  },
};
