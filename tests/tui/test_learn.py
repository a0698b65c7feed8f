"""gradtui learn: the whole course finished in the app by pressing exactly the keys each
lesson names (after answering its question), each lesson's check passing on the run and
unlocking the next; progress saved per user, resumed, and a damaged file set aside with
one clear line."""

from __future__ import annotations

import asyncio
import json
import os

from textual import events

from gradtui.engine import SCENARIOS
from gradtui.tui.app import GradtuiApp
from gradtui.tui.calculus.screen import CalculusScreen
from gradtui.tui.cli.main import main
from gradtui.tui.learn.course import COURSE, LESSONS, keys_text, presses
from gradtui.tui.learn.progress import load, state_dir
from gradtui.tui.learn.screens import CourseScreen, LessonIntro, LessonResult

from test_app_stories import press, wait_until


async def send(app, pilot, key: str) -> None:
    """Press ``key`` as the terminal would: through the pilot on calculus mode and modal
    screens, through ``press`` (which copes with a run training) on the training screen."""
    if app.screen is app.train_screen:
        await press(app, key)
    elif isinstance(app.screen, CalculusScreen) and app.screen.session is not None and key == "K":
        app.post_message(events.Key(key, key))
        await asyncio.sleep(0.05)
    else:
        await pilot.press(key)
        await pilot.pause()


async def take_lesson(app, pilot, name: str) -> None:
    """From the lesson's introduction: enter, answer its question, press its keys, and once
    the promise shows on screen, K: the check passes."""
    lesson = COURSE[name]
    await wait_until(lambda: isinstance(app.screen, LessonIntro))
    assert keys_text(lesson.keys) in str(app.screen.query_one("#lesson-text").render())
    await pilot.press("enter")
    await pilot.pause()
    await wait_until(lambda: not isinstance(app.screen, LessonIntro))
    question = SCENARIOS[lesson.scenario].prediction
    if question is not None:
        await send(app, pilot, str(question.correct + 1))
    keys = presses(lesson.keys)
    for i, key in enumerate(keys):
        await send(app, pilot, key)
        if key == "space" and i < len(keys) - 1 and not lesson.calculus:  # trains until the NaN pause
            await wait_until(lambda: not app.session.running)
    def subject():
        return app.screen.session if lesson.calculus else app.session.frame

    try:
        await wait_until(lambda: lesson.check(subject())[0], timeout=180)  # then K, as the lesson says
    except TimeoutError:
        raise AssertionError(f"{name}: {lesson.check(subject())[1]}") from None
    await send(app, pilot, "K")
    await wait_until(lambda: isinstance(app.screen, LessonResult))


async def test_the_whole_course_by_its_own_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    app = GradtuiApp(course=load())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CourseScreen)
        await pilot.press("enter")  # the highlighted lesson: the first
        for number, lesson in enumerate(LESSONS, 1):
            await take_lesson(app, pilot, lesson.name)
            result = str(app.screen.query_one("#result-text").render())
            assert lesson.summary in result
            saved = json.load(open(os.path.join(tmp_path, "gradtui", "progress.json")))
            assert list(saved["passed"]) == [lesson.name for lesson in LESSONS[:number]]
            await pilot.press("enter")  # the next lesson (or, after the last, the course)
        await wait_until(lambda: isinstance(app.screen, CourseScreen))
        assert f"{len(LESSONS)} of {len(LESSONS)} lessons passed" in str(app.screen.query_one("#course-head").render())


def test_state_directory_follows_xdg_and_never_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert state_dir() == str(tmp_path / "state" / "gradtui")
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert state_dir() == str(tmp_path / "home" / ".local" / "state" / "gradtui")


def test_progress_is_saved_and_resumed(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    progress = load()
    progress.pass_lesson("slopes", COURSE["slopes"].summary)
    again = load()
    assert again.done("slopes") and not again.done("descent") and again.problem is None
    assert main(["learn", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(LESSONS) and lines[0].startswith("✓") and not lines[1].startswith("✓")
    assert os.listdir(tmp_path) == ["gradtui"]  # nothing in the working directory


def test_a_damaged_progress_file_gives_one_line_and_the_course_starts_again(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    folder = tmp_path / "gradtui"
    folder.mkdir()
    (folder / "progress.json").write_text('{"passed": ["half a lis')
    (folder / "other.txt").write_text("mine")
    progress = load()
    assert not progress.passed and "could not be read" in progress.problem
    assert "the course starts again" in progress.problem and "\n" not in progress.problem
    assert (folder / "progress.json.damaged").read_text() == '{"passed": ["half a lis'
    assert (folder / "other.txt").read_text() == "mine"
    progress.pass_lesson("slopes", "kept")
    assert load().passed == {"slopes": "kept"}


def test_unknown_lesson_is_one_line_and_exit_2(capsys):
    assert main(["learn", "--lesson", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown lesson 'nope'" in err


async def test_learn_under_lock_opens_the_course_and_a_lesson(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    app = GradtuiApp(course=load(), lesson="line", locked=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: isinstance(app.screen, LessonIntro))
        await pilot.press("enter")
        await pilot.pause()
        assert app.train_screen.scenario.name == "line-fit" and app.lesson.name == "line"


def test_serve_learn_gives_every_browser_the_course():
    from gradtui.tui.cli import serve
    args = serve.build_parser().parse_args(["--learn"])
    assert serve.app_command(args).endswith("--learn")
    from gradtui.tui.cli.main import build_parsers
    assert build_parsers()["app"].parse_args(["--learn"]).learn
