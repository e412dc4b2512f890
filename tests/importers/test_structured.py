"""JSON, JSON lines and Excel 2003 XML ("SpreadsheetML") exports."""
from __future__ import annotations

import pytest

from acctdesk.importers.errors import ImportFileError
from acctdesk.importers.readers import read_file

SS = ('<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
      'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Tickets">'
      '<Table><Row><Cell><Data ss:Type="String">Ticket ID</Data></Cell>'
      '<Cell ss:Index="3"><Data ss:Type="String">Company Name</Data></Cell></Row>'
      '<Row><Cell><Data ss:Type="Number">7</Data></Cell>'
      '<Cell ss:Index="3"><Data ss:Type="String">Acme</Data></Cell></Row></Table>'
      '</Worksheet></Workbook>')


def test_excel_2003_xml_is_read_with_its_cell_gaps(tmp_path):
    f = tmp_path / "tickets.xls"
    f.write_text(SS)
    sheet = read_file(f)[0]
    assert sheet.name == "Tickets"
    assert list(sheet.frame.columns) == ["Ticket ID", "column_2", "Company Name"]
    assert sheet.frame.iloc[0].tolist() == ["7", None, "Acme"]
    assert sheet.row_numbers.tolist() == [2]


def test_xml_that_declares_entities_is_refused_before_parsing(tmp_path):
    f = tmp_path / "bomb.xls"
    f.write_text('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">'
                 '<!ENTITY b "&a;&a;&a;&a;">]>\n' + SS.split("\n", 1)[1])
    with pytest.raises(ImportFileError, match="'bomb.xls' is an XML file that declares its own "
                                              "entities"):
        read_file(f)


def test_json_lines_skip_lines_that_are_not_records(tmp_path):
    f = tmp_path / "events.jsonl"
    f.write_text('{"event": "Login", "properties": {"company_id": "acme.com"}}\n[1, 2]\n'
                 'not json\n{"event": "Export", "properties": {"company_id": "acme.com"}}\n')
    sheet = read_file(f)[0]
    assert list(sheet.frame["event"]) == ["Login", "Export"]
    assert list(sheet.frame["properties.company_id"]) == ["acme.com", "acme.com"]
    assert any("skipped 2 line(s)" in n for n in sheet.notes)


def test_a_json_object_of_lists_gives_a_table_per_list(tmp_path):
    f = tmp_path / "export.json"
    f.write_text('{"customers": [{"id": "c1", "company": "Acme"}, {"id": "c2", '
                 '"company": "Globex", "tags": ["a"]}], "meta": {"count": 2}}')
    sheets = read_file(f)
    assert [s.name for s in sheets] == ["customers"]
    assert sheets[0].frame["company"].tolist() == ["Acme", "Globex"]
    tags = sheets[0].frame["tags"]
    assert tags.isna().tolist() == [True, False] and tags.iloc[1] == '["a"]'


def test_json_with_no_records_is_refused_with_a_message(tmp_path):
    f = tmp_path / "empty.json"
    f.write_text("[]")
    with pytest.raises(ImportFileError, match="'empty.json' holds no list of records"):
        read_file(f)
