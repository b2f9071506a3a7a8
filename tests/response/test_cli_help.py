"""The response commands have their help, as every command has."""

from typer.testing import CliRunner

from leakwatch.cli import app


def test_every_response_command_has_help():
    for args in (["affected", "--help"], ["notification", "--help"], ["times", "--help"], ["stix", "--help"],
                 ["thehive", "--help"], ["institution", "soc-channels", "--help"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0 and "Usage" in result.stdout, args


def test_affected_needs_the_monitors_url_and_a_token(tmp_path):
    result = CliRunner().invoke(app, ["affected", "s1-labo-07-patients", "--table", str(tmp_path / "t.csv")], env={
        "LEAKWATCH_API_URL": "", "LEAKWATCH_API_TOKEN": ""})
    assert result.exit_code == 2 and "--api" in result.output
