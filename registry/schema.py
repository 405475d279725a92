"""Imports every table, so `SQLModel.metadata` is complete for migrations and tests."""

from sqlmodel import SQLModel

from registry.amendments import ContractAmendment
from registry.audit import Change, ChangeSet, DataVersion
from registry.change_requests import ChangeRequest
from registry.contracts import Contract
from registry.fleet import FleetEvent
from registry.instruments import Instrument, InstrumentSignatory
from registry.nations import Nation
from registry.organisations import Organisation
from registry.participation import MembershipTerm, Participation
from registry.programme_terms import ProgrammeTerm
from registry.programme_versions import ProgrammeVersion
from registry.programmes import Programme
from registry.rates import ExchangeRate, RateSource
from registry.signin_failures import SignInFailure as SignInFailure
from registry.sources import Citation, Source
from registry.users import ApiToken, User
from registry.web_sessions import WebSession

metadata = SQLModel.metadata

__all__ = [
    "ApiToken", "Change", "ChangeRequest", "ChangeSet", "Citation", "Contract",
    "ContractAmendment", "DataVersion", "ExchangeRate", "FleetEvent", "Instrument",
    "InstrumentSignatory",
    "MembershipTerm", "Nation", "Organisation", "Participation", "Programme", "ProgrammeTerm",
    "ProgrammeVersion", "RateSource",
    "Source", "User", "WebSession", "metadata",
]  # fmt: skip
