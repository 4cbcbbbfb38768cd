create schema if not exists billing;
create schema if not exists jobs;
create extension if not exists pgcrypto;
