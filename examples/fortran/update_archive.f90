! update_archive: keep an archive complete with libsiqaco from Fortran: one run of
! `siqaco update` from a configuration file (docs/configuration.md), or a run of the request
! stack (`siqaco stack run`), then print the summary of the run, one "KEY VALUE" line per
! counter, as examples/c/update_archive.c does (times in ns since 1970, "-" when unset);
! scripts/test-c compares it with `siqaco update --format json`.
! Exit status as the CLI's: 0 the window is complete, 3 requests of the window are left,
! 2 configuration error, 1 other failure.
!
! Usage: update_archive CONFIG [--start NS --end NS] [--now NS] [--dry-run]
!        update_archive CONFIG --stack
! Build: gfortran siqaco.f90 update_archive.f90 $(pkg-config --libs siqaco) -o update_archive_f
program update_archive
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: error_unit
  use siqaco
  implicit none

  character(len=4096) :: config, arg
  type(c_ptr) :: options
  type(siqaco_update_summary) :: s
  integer(c_int32_t) :: st
  integer(c_int64_t) :: start_ns, end_ns, now_ns
  integer(c_int32_t) :: dry_run
  logical :: stack
  integer :: i

  if (command_argument_count() < 1) then
    write (error_unit, '(a)') "usage: update_archive CONFIG [--start NS --end NS] [--now NS] "// &
      "[--dry-run] | --stack"
    error stop 2
  end if
  call get_command_argument(1, config)
  start_ns = SIQACO_TIME_UNSET
  end_ns = SIQACO_TIME_UNSET
  now_ns = SIQACO_TIME_UNSET
  dry_run = 0
  stack = .false.
  i = 2
  do while (i <= command_argument_count())
    call get_command_argument(i, arg)
    select case (trim(arg))
    case ("--dry-run")
      dry_run = 1
    case ("--stack")
      stack = .true.
    case ("--start")
      i = i + 1
      start_ns = int_argument(i)
    case ("--end")
      i = i + 1
      end_ns = int_argument(i)
    case ("--now")
      i = i + 1
      now_ns = int_argument(i)
    case default
      write (error_unit, '(a)') "update_archive: unknown argument "//trim(arg)
      error stop 2
    end select
    i = i + 1
  end do
  options = c_null_ptr

  if (stack) then
    st = siqaco_stack_run(trim(config)//c_null_char, s)
    if (st /= SIQACO_STATUS_OK) call fail("siqaco_stack_run", st)
  else
    st = siqaco_update_options_new(options)
    if (st /= SIQACO_STATUS_OK) call fail("siqaco_update_options_new", st)
    st = siqaco_update_options_set_window(options, start_ns, end_ns)
    if (st /= SIQACO_STATUS_OK) call fail("siqaco_update_options_set_window", st)
    st = siqaco_update_options_set_now(options, now_ns)
    if (st /= SIQACO_STATUS_OK) call fail("siqaco_update_options_set_now", st)
    st = siqaco_update_options_set_dry_run(options, dry_run)
    if (st /= SIQACO_STATUS_OK) call fail("siqaco_update_options_set_dry_run", st)
    st = siqaco_update_run(trim(config)//c_null_char, options, s)
    if (st /= SIQACO_STATUS_OK) call fail("siqaco_update_run", st)
    call siqaco_update_options_free(options)
  end if

  call show_time("window_start_ns", s%window_start_ns)
  call show_time("window_end_ns", s%window_end_ns)
  call show("streams_checked", s%streams_checked)
  call show("gaps_found", s%gaps_found)
  call show("requests_created", s%requests_created)
  call show("requests_sent", s%requests_sent)
  call show("requests_succeeded", s%requests_succeeded)
  call show("requests_failed", s%requests_failed)
  call show("samples_added", s%samples_added)
  call show("requests_left", s%requests_left)
  call show("planned_count", s%planned_count)
  call show("warning_count", s%warning_count)
  call show("dry_run", int(s%dry_run, c_int64_t))
  if (s%requests_left > 0 .and. s%dry_run == 0) stop 3

contains

  ! The integer (ns) of command argument i.
  function int_argument(i) result(v)
    integer, intent(in) :: i
    integer(c_int64_t) :: v
    character(len=64) :: text
    integer :: ios
    call get_command_argument(i, text)
    read (text, *, iostat=ios) v
    if (ios /= 0) then
      write (error_unit, '(a)') "update_archive: not an integer: "//trim(text)
      error stop 2
    end if
  end function int_argument

  ! uint64_t counters are integer(c_int64_t): exact below 2**63.
  subroutine show(key, v)
    character(len=*), intent(in) :: key
    integer(c_int64_t), intent(in) :: v
    write (*, '(a,1x,i0)') key, v
  end subroutine show

  subroutine show_time(key, t)
    character(len=*), intent(in) :: key
    integer(c_int64_t), intent(in) :: t
    if (t == SIQACO_TIME_UNSET) then
      write (*, '(a)') key//" -"
    else
      call show(key, t)
    end if
  end subroutine show_time

  subroutine fail(what, status)
    character(len=*), intent(in) :: what
    integer(c_int32_t), intent(in) :: status
    write (error_unit, '(a,i0,a)') "update_archive: "//what//": "// &
      siqaco_f_string(siqaco_status_str(status))//" (", status, "): "//siqaco_f_last_error()
    call siqaco_update_options_free(options)
    if (status == SIQACO_STATUS_CONFIG .or. status == SIQACO_STATUS_INVALID_ARGUMENT .or. &
        status == SIQACO_STATUS_INVALID_CODE) error stop 2
    error stop 1
  end subroutine fail
end program update_archive
