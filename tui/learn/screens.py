"""The course's screens: the list of lessons, a lesson's introduction, and its result."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from gradtui.engine import SCENARIOS

from gradtui.tui.learn.course import LESSONS, Lesson, keys_text
from gradtui.tui.learn.progress import Progress
from gradtui.tui.train.host import host
from gradtui.tui.widgets.footer import FittedFooter


def next_lesson(progress: Progress) -> Lesson | None:
    """The first lesson not passed yet (None when the course is done)."""
    return next((lesson for lesson in LESSONS if not progress.done(lesson.name)), None)


def course_line(number: int, lesson: Lesson, progress: Progress, upcoming: Lesson | None) -> str:
    if progress.done(lesson.name):
        return f"✓ {number:>2}  {escape(lesson.title)}  [dim]{escape(progress.passed[lesson.name])}[/dim]"
    mark = "▶" if lesson is upcoming else " "
    return f"{mark} {number:>2}  {escape(lesson.title)}"


class CourseScreen(Screen):
    """Every lesson in order: passed ones with the line kept from them, the next one marked.
    Any lesson opens with enter; the next is unlocked by passing the one before."""

    CSS = """
    CourseScreen #course-head { height: auto; padding: 0 1; background: $boost; }
    CourseScreen OptionList { height: 1fr; }
    """
    BINDINGS = [Binding("escape", "close", "back to training", tooltip="the training screen, the course kept")]

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress

    def compose(self) -> ComposeResult:
        yield Static(id="course-head")
        yield OptionList(id="course-list")
        yield FittedFooter(("close",))

    def on_mount(self) -> None:
        self.refresh_list()

    def on_screen_resume(self) -> None:
        self.refresh_list()

    def refresh_list(self) -> None:
        upcoming = next_lesson(self.progress)
        done = sum(self.progress.done(lesson.name) for lesson in LESSONS)
        head = f"[b]gradtui learn[/b] · {done} of {len(LESSONS)} lessons passed · enter opens a lesson, K checks it, C comes back here"
        if self.progress.problem:
            head = f"[b red]{escape(self.progress.problem)}[/]\n" + head
        self.query_one("#course-head", Static).update(head)
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(course_line(i, lesson, self.progress, upcoming), id=lesson.name)
                             for i, lesson in enumerate(LESSONS, 1)])
        if upcoming is not None:
            options.highlighted = LESSONS.index(upcoming)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:  # each option's id is its lesson's name
            host(self).open_lesson(event.option.id)

    def action_close(self) -> None:
        self.app.pop_screen()


class LessonIntro(ModalScreen[bool]):
    """Why the lesson matters and the keys it names; enter opens its run."""

    CSS = """
    LessonIntro { align: center middle; }
    LessonIntro #lesson-box { width: 80%; max-width: 100; height: auto; border: round $accent; padding: 1 2; background: $panel; }
    """
    BINDINGS = [Binding("enter", "start", "start"), Binding("escape", "cancel", "back to the course")]

    def __init__(self, lesson: Lesson, number: int) -> None:
        super().__init__()
        self.lesson = lesson
        self.number = number

    def compose(self) -> ComposeResult:
        lesson = self.lesson
        question = SCENARIOS[lesson.scenario].prediction
        ask = "First the question on screen: answer it with 1-4. " if question is not None else ""
        with Vertical(id="lesson-box"):
            yield Static(f"[b]Lesson {self.number}: {escape(lesson.title)}[/b]\n\n{escape(lesson.why)}\n\n"
                         f"{ask}Then press [b]{escape(keys_text(lesson.keys))}[/b]. Once you see it ({escape(lesson.promise)}), "
                         f"press [b]K[/b] to check.\n\n[dim]enter: start · escape: the course[/dim]", id="lesson-text")

    def action_start(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class LessonResult(ModalScreen[bool]):
    """The check's verdict; passed: the line to keep, and the next lesson unlocked."""

    CSS = """
    LessonResult { align: center middle; }
    LessonResult #result-box { width: 80%; max-width: 100; height: auto; border: round $success; padding: 1 2; background: $panel; }
    """
    BINDINGS = [Binding("enter", "next", "next lesson"), Binding("escape", "course", "the course")]

    def __init__(self, lesson: Lesson, evidence: str, upcoming: Lesson | None) -> None:
        super().__init__()
        self.lesson, self.evidence, self.upcoming = lesson, evidence, upcoming

    def compose(self) -> ComposeResult:
        after = (f"enter: next lesson ({escape(self.upcoming.title)})" if self.upcoming is not None
                 else "the course is done")
        with Vertical(id="result-box"):
            yield Static(f"[b green]✓ {escape(self.lesson.title)}[/]\n\n{escape(self.evidence)}\n\n"
                         f"Keep: [b]{escape(self.lesson.summary)}[/b]\n\n[dim]{after} · escape: the course[/dim]",
                         id="result-text")

    def action_next(self) -> None:
        self.dismiss(True)

    def action_course(self) -> None:
        self.dismiss(False)
