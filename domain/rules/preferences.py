"""Consent to inform the local team, each guardian's channel preferences, and their link to the
family page."""

from __future__ import annotations

from datetime import datetime

from domain.commands import (
    ChannelReply,
    GuardianPreferences,
    LinkRequested,
    SetChannelOptOut,
    SetConsent,
)
from domain.notices import find_recipient
from domain.opt_out import Keyword
from domain.records import (
    Holder,
)
from domain.rules.effects import Refused, log, notify, refuse_if_inactive
from domain.rules.records import request_outstanding
from domain.state import (
    Audience,
    JourneyState,
    MessageEvent,
    MessageStatus,
    Notice,
)


def check_consent(state: JourneyState, cmd: SetConsent) -> None:
    refuse_if_inactive(state, allow_paused=True)
    if state.case.local_team is None:
        raise Refused("this case names no local treating team; add one before recording consent")


def apply_consent(state: JourneyState, cmd: SetConsent, now: datetime) -> None:
    check_consent(state, cmd)
    if state.local_team_consent == cmd.granted:
        return
    state.local_team_consent = cmd.granted
    log(state, now, "consent_recorded" if cmd.granted else "consent_withdrawn", by=cmd.by)
    if cmd.granted and not state.paused:
        # Records the team holds are now asked of the team itself.
        held = [t for t, i in state.records.items() if i.holder == Holder.LOCAL_TEAM and i.outstanding]
        request_outstanding(state, now, held)


def check_opt_out(state: JourneyState, cmd: SetChannelOptOut) -> None:
    refuse_if_inactive(state, allow_paused=True)
    index = int(cmd.recipient.split("-")[1]) - 1
    if index >= len(state.case.guardians):
        raise Refused(f"this case has no {cmd.recipient}")


def apply_opt_out(state: JourneyState, cmd: SetChannelOptOut, now: datetime) -> bool:
    """True when the preference changed."""
    check_opt_out(state, cmd)
    current = state.opted_out.setdefault(cmd.recipient, [])
    if (cmd.channel in current) == cmd.opted_out:
        return False
    if cmd.opted_out:
        current.append(cmd.channel)
    else:
        current.remove(cmd.channel)
    log(
        state,
        now,
        "opted_out" if cmd.opted_out else "opted_in",
        by=cmd.by,
        recipient=cmd.recipient,
        channel=cmd.channel.value,
    )
    return True


def apply_channel_reply(state: JourneyState, reply: ChannelReply, now: datetime) -> None:
    """A guardian replied STOP or START. STOP takes effect at once with one confirmation;
    only an explicit START subscribes again. Never refused: it is a fact."""
    if state.closed:
        log(state, now, "reply_after_close", recipient=reply.recipient, keyword=reply.keyword.value)
        return
    current = state.opted_out.setdefault(reply.recipient, [])
    if reply.keyword == Keyword.STOP:
        if reply.channel in current:
            return  # already stopped: no second confirmation
        current.append(reply.channel)
        log(state, now, "opted_out", recipient=reply.recipient, channel=reply.channel.value, via="reply")
        for m in state.messages:
            if m.recipient == reply.recipient and m.channel == reply.channel and m.status == MessageStatus.SCHEDULED:
                m.status, m.outcome = MessageStatus.SKIPPED, f"recipient opted out of {reply.channel.value}"
        notify(
            state,
            Notice(
                event=MessageEvent.OPT_OUT_CONFIRMATION,
                audience=Audience.FAMILY,
                params={"channel": reply.channel.value},
                only_recipient=reply.recipient,
                only_channel=reply.channel,
            ),
            now,
        )
    elif reply.channel in current:
        current.remove(reply.channel)
        log(state, now, "opted_in", recipient=reply.recipient, channel=reply.channel.value, via="reply")


def apply_link_requested(state: JourneyState, request: LinkRequested, now: datetime) -> None:
    """A guardian asked for a fresh link to the family page (the page rate-limits the asking).
    It goes like any message: not after a close, not on a stopped channel, not in quiet hours."""
    if state.closed or find_recipient(state, request.recipient) is None:
        return
    log(state, now, "family_link_requested", recipient=request.recipient, channel=request.channel.value)
    notify(
        state,
        Notice(event=MessageEvent.FAMILY_LINK, audience=Audience.FAMILY, only_recipient=request.recipient,
               only_channel=request.channel),
        now,
    )


def apply_guardian_preferences(state: JourneyState, prefs: GuardianPreferences, now: datetime) -> None:
    """A guardian's own quiet hours and language, set on the family page. A fact: never refused.
    Messages already waiting are checked against the new quiet hours when they fall due."""
    index = int(prefs.recipient.split("-")[1]) - 1
    if state.closed or index >= len(state.case.guardians):
        return
    guardian = state.case.guardians[index]
    if prefs.language is not None and prefs.language != guardian.language:
        guardian.language = prefs.language
        log(state, now, "language_changed", recipient=prefs.recipient, language=prefs.language, via="family_page")
    if prefs.quiet_hours is not None and prefs.quiet_hours != guardian.quiet_hours:
        guardian.quiet_hours = prefs.quiet_hours
        log(state, now, "quiet_hours_changed", recipient=prefs.recipient, via="family_page",
            start=prefs.quiet_hours.start.strftime("%H:%M"), end=prefs.quiet_hours.end.strftime("%H:%M"))
