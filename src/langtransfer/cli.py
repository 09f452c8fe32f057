"""The `langtransfer` command line: thin typer commands over the library.

Every command takes a config (YAML path, optional), `--set key=value` overrides and `--dry-run`
(print the resolved config and exit). Heavy imports happen inside commands so `--help` is instant.
User errors print one line `error: …` and exit 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from langtransfer.convert.commands import model_app
from langtransfer.errors import UserError
from langtransfer.eval.commands import register as register_eval_commands
from langtransfer.vocab.commands import vocab_app

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Move an English-centric LLM into another language and measure the move.")
miniworld_app = typer.Typer(no_args_is_help=True, help="MiniWorld: the synthetic multilingual world.")
train_app = typer.Typer(no_args_is_help=True, help="Training stages: continued pretraining, SFT.")
eval_app = typer.Typer(no_args_is_help=True, help="Evaluation: knowledge, perplexity, quality.")
study_app = typer.Typer(no_args_is_help=True, help="Studies: a grid of arms, run and reported.")
app.add_typer(miniworld_app, name="miniworld")
app.add_typer(train_app, name="train")
app.add_typer(eval_app, name="eval")
app.add_typer(study_app, name="study")
app.add_typer(model_app, name="model")
app.add_typer(vocab_app, name="vocab")
register_eval_commands(eval_app)  # eval knowledge / diff / benchmarks (eval/commands.py)

ConfigArg = Annotated[Optional[Path], typer.Argument(help="YAML config (defaults when omitted).")]
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="YAML config.")]
SetOpt = Annotated[list[str], typer.Option("--set", help="Override a field: key.sub=value.")]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="Print the resolved config and exit.")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output (run) directory.")]


def _dry(cfg) -> None:
    typer.echo(cfg.to_yaml(), nl=False)


def _import(ref: str):
    """'pkg.module:attr' -> the attribute (lazy: stages import torch)."""
    import importlib

    module, attr = ref.split(":")
    return getattr(importlib.import_module(module), attr)


def _stage(config_ref: str, run_ref: str, out: Path, config: Path | None,
           overrides: list[str], dry_run: bool) -> None:
    """Load and validate a stage config; print it (--dry-run) or run the stage into `out`."""
    cfg = _import(config_ref).load(config, overrides)
    if dry_run:
        return _dry(cfg)
    _import(run_ref)(cfg, out)
    typer.echo(f"done: {out}")


@miniworld_app.command("generate")
def miniworld_generate(
    out: OutOpt,
    langs: Annotated[Optional[str], typer.Option(help="Comma-separated ISO codes, en first.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="World seed.")] = None,
    config: ConfigOpt = None,
    set_: SetOpt = [],
    dry_run: DryOpt = False,
) -> None:
    """Generate a MiniWorld: pretraining text, held-out text, instructions, MC and open questions."""
    from langtransfer.miniworld.config import WorldConfig

    overrides = list(set_)
    if langs:
        overrides.append(f"langs=[{langs}]")
    if seed is not None:
        overrides.append(f"seed={seed}")
    cfg = WorldConfig.load(config, overrides)
    if dry_run:
        return _dry(cfg)
    from langtransfer.miniworld.generate import generate

    generate(cfg, out)
    typer.echo(f"world written to {out}")


@miniworld_app.command("base")
def miniworld_base(
    out: OutOpt,
    world: Annotated[Optional[Path], typer.Option(help="MiniWorld directory.")] = None,
    config: ConfigOpt = None,
    set_: SetOpt = [],
    dry_run: DryOpt = False,
) -> None:
    """Train the English-centric tokenizer and tiny LLaMA base model on a MiniWorld."""
    overrides = list(set_) + ([f"world={world}"] if world else [])
    _stage("langtransfer.train.config:BaseModelConfig", "langtransfer.miniworld.base:run",
           out, config, overrides, dry_run)


@train_app.command("cpt")
def train_cpt(out: OutOpt, config: ConfigArg = None, set_: SetOpt = [], dry_run: DryOpt = False) -> None:
    """Continued pretraining: next-token loss on packed text, budget in tokens."""
    _stage("langtransfer.train.config:CPTConfig", "langtransfer.train.cpt:run",
           out, config, set_, dry_run)


@train_app.command("sft")
def train_sft(out: OutOpt, config: ConfigArg = None, set_: SetOpt = [], dry_run: DryOpt = False) -> None:
    """Instruction tuning on Alpaca-format data, loss on the response only."""
    _stage("langtransfer.train.config:SFTConfig", "langtransfer.train.sft:run",
           out, config, set_, dry_run)


@eval_app.command("run")
def eval_run(out: OutOpt, config: ConfigArg = None, set_: SetOpt = [], dry_run: DryOpt = False) -> None:
    """Evaluate a model on a MiniWorld: knowledge MC, perplexity / bits per byte, quality."""
    _stage("langtransfer.eval.config:EvalConfig", "langtransfer.eval.run:run",
           out, config, set_, dry_run)


@study_app.command("run")
def study_run(study: Annotated[Path, typer.Argument(help="Study YAML.")], out: OutOpt,
              set_: SetOpt = [], dry_run: DryOpt = False,
              json_: Annotated[bool, typer.Option("--json", help="With --dry-run: the plan as JSON.")] = False) -> None:
    """Run every arm of a study (skipping finished stages), then write the report."""
    from langtransfer.study.config import StudyConfig

    cfg = StudyConfig.load(study, set_)
    if dry_run:
        from langtransfer.study.grid import plan_json, plan_table

        typer.echo(plan_json(cfg, out) if json_ else cfg.to_yaml() + "\n" + plan_table(cfg, out))
        return
    from langtransfer.study.runner import run_study

    run_study(cfg, out)


@study_app.command("status")
def study_status(out: Annotated[Path, typer.Argument(help="Study output directory.")],
                 json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Per arm and per stage: done / running / pending / failed, with wall times."""
    import json

    from rich.console import Console

    from langtransfer.study.status import print_status, study_status

    status = study_status(out)
    if json_:
        typer.echo(json.dumps(status, indent=2))
        return
    print_status(status, Console())


@study_app.command("report")
def study_report(out: Annotated[Path, typer.Argument(help="Study output directory.")]) -> None:
    """Rebuild results.csv and report.md from the study's run directories."""
    from langtransfer.study.layout import load_study_config
    from langtransfer.study.report import write_report

    write_report(load_study_config(out), out)
    typer.echo(f"report written to {out / 'report.md'}")


def main() -> None:
    """Console-script entry point: run the app, turn UserError into one line + exit 2."""
    try:
        app(standalone_mode=False)
    except UserError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # usage errors (typer's click) arrive here with standalone_mode=False
        if callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()
            sys.exit(exc.exit_code)
        raise
